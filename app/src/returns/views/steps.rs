//! The wizard's steps 1, 2, 3, 5 and 6 (step 4, the photos, is `uploader`). Every control is
//! a real input with its label, so the whole wizard works with the keyboard alone, and belongs
//! to the wizard's form (`form=FORM`, named as `return_draft_step` reads it), with its current
//! value in the server's HTML, so each step can be posted before the WASM has loaded.

use leptos::prelude::*;

use super::common::EstimateLines;
use super::wizard::{use_wizard, WizardCtx, FORM};
use crate::error::FnError;
use crate::returns::draft::{refund_for, Draft};
use crate::returns::model::{
    ExchangeBalance, ExchangeOption, ExchangeQuote, Reason, RefundEstimate, RefundMethod, ReturnEstimate,
    ReturnableLine, ReturnableOrder,
};
use crate::returns::server_fns::{estimate_return, exchange_options};
use crate::time::display_utc;
use crate::ui::components::Money;
use domain::money::format_cents;

/// The step's heading; focused when the step opens.
#[component]
pub fn StepHeading(title: &'static str) -> impl IntoView {
    view! { <h2 id="wizard-step-heading" tabindex="-1" data-testid="step-heading">{title}</h2> }
}

/// Step 1: the customer's orders; those that cannot be returned are greyed out with the reason.
#[component]
pub fn OrderStep() -> impl IntoView {
    let ctx = use_wizard();
    let orders = ctx.data.with_value(|d| d.orders.clone());
    let list = if orders.is_empty() {
        view! { <p class="muted" data-testid="no-orders">"You have no orders yet. " <a href="/">"Start shopping"</a></p> }.into_any()
    } else {
        view! {
            <fieldset class="choices" data-testid="order-choices">
                <legend>"Which order do you want to return items from?"</legend>
                {orders.into_iter().map(|order| view! { <OrderChoice order/> }).collect_view()}
            </fieldset>
        }
        .into_any()
    };
    view! { <StepHeading title="Choose the order"/> {list} }
}

#[component]
fn OrderChoice(order: ReturnableOrder) -> impl IntoView {
    let ctx = use_wizard();
    let id = order.order_id;
    let ineligible = ctx.data.with_value(|data| data.ineligible(&order));
    let disabled = ineligible.is_some();
    let choose = move |_| ctx.draft.update(|d| d.choose_order(id));
    let checked = move || ctx.draft.with(|d| d.order_id == Some(id));
    let window = (!disabled).then(|| format!(" · returnable until {}", display_utc(order.window_ends_at_ms)));
    view! {
        <label class="choice" class:ineligible=disabled data-testid="order-choice" data-order-id=id>
            <input type="radio" form=FORM name="form[order]" value=id disabled=disabled
                checked=checked prop:checked=checked on:change=choose/>
            <span>
                <strong>{format!("Order #{id}")}</strong>
                {format!(" · placed {}", display_utc(order.created_at_ms))}
                {order.delivered_at_ms.map(|at| format!(" · delivered {}", display_utc(at)))}
                " · " <Money cents=order.total_cents/>
                <span class="muted">{window}</span>
                {ineligible.map(|why| view! { <span class="choice-reason" data-testid="ineligible-reason">{why}</span> })}
            </span>
        </label>
    }
}

/// Step 2: units per line, each bounded by what the policy says may still be returned.
#[component]
pub fn ItemsStep() -> impl IntoView {
    let ctx = use_wizard();
    let order = ctx.data.with_value(|d| ctx.draft.with_untracked(|dr| d.order(dr.order_id).cloned()));
    let max = ctx.data.with_value(|d| d.config.policy.max_item_quantity);
    let lines = order.map(|o| o.lines).unwrap_or_default();
    view! {
        <StepHeading title="Choose items and quantities"/>
        <p class="muted">{format!("At most {max} units of each item in one return.")}</p>
        <div class="item-choices" data-testid="item-choices">
            {lines.into_iter().map(|line| view! { <ItemChoice line/> }).collect_view()}
        </div>
    }
}

#[component]
fn ItemChoice(line: ReturnableLine) -> impl IntoView {
    let ctx = use_wizard();
    let id = line.order_line_id;
    let max = line.returnable;
    let input_id = format!("units-{id}");
    let note = if max == 0 {
        format!(" · bought {}, all already returned or in a return", line.quantity)
    } else {
        format!(" · bought {}, up to {max} can be returned · ", line.quantity)
    };
    let set = move |ev: leptos::ev::Event| {
        let units = event_target_value(&ev).trim().parse::<i64>().unwrap_or(0);
        ctx.draft.update(|d| d.set_units(id, units));
    };
    let units = move || ctx.draft.with(|d| d.units(id)).to_string();
    view! {
        <div class="item-choice" data-testid="item-choice" data-line-id=id>
            <label for=input_id.clone()>
                <strong>{line.name.clone()}</strong>
                <span class="muted">{note} {(max > 0).then(|| view! { <Money cents=line.unit_paid_cents/> " each" })}</span>
            </label>
            <input id=input_id type="number" min="0" max=max step="1" inputmode="numeric" disabled=max == 0
                form=FORM name=format!("form[units][{id}]")
                aria-label=format!("Units of {} to return", line.name) data-testid="item-quantity"
                value=units prop:value=units on:input=set/>
        </div>
    }
}

/// Step 3: why, and details; the reasons that need photos say so.
#[component]
pub fn ReasonStep() -> impl IntoView {
    let ctx = use_wizard();
    let needs_photo =
        move |reason: Reason| ctx.data.with_value(|d| d.config.policy.photo_required_for.contains(&reason));
    let chosen_needs = move || ctx.draft.with(|d| d.reason).filter(|r| needs_photo(*r));
    view! {
        <StepHeading title="Tell us why"/>
        <fieldset class="choices" data-testid="reason-choices">
            <legend>"Why are you returning these items?"</legend>
            {Reason::ALL.into_iter().map(|reason| view! {
                <label class="choice">
                    <input type="radio" form=FORM name="form[reason]" value=reason.as_str()
                        checked=move || ctx.draft.with(|d| d.reason == Some(reason))
                        prop:checked=move || ctx.draft.with(|d| d.reason == Some(reason))
                        on:change=move |_| ctx.draft.update(|d| d.reason = Some(reason))/>
                    <span>{reason.label()} {needs_photo(reason).then(|| view! { <span class="badge photo-needed">"photo required"</span> })}</span>
                </label>
            }).collect_view()}
        </fieldset>
        {move || chosen_needs().map(|r| view! {
            <p class="alert alert-warn" data-testid="photos-required">
                {format!("“{}” needs at least one photo: you add it in the next step.", r.label())}
            </p>
        })}
        <label class="field" for="return-details">"Details (optional)"</label>
        <textarea id="return-details" form=FORM name="form[details]" rows="4" maxlength="2000" data-testid="return-details"
            prop:value=move || ctx.draft.with(|d| d.details.clone())
            on:input=move |ev| ctx.draft.update(|d| d.details = event_target_value(&ev))>
            {ctx.draft.with_untracked(|d| d.details.clone())}
        </textarea>
    }
}

/// The server's estimate of the draft, for what only the server knows: the exchange quote and
/// whether the items may be kept (the refunds themselves are worked out here, `refund_of`). It
/// is asked again only when what those depend on changes: the order, items, reason, replacement.
/// Read with `try_get`: a step's view may run once more after the step was left and its
/// resources disposed (reading one then would panic and stop the WASM).
fn estimate_resource() -> Resource<Result<Option<ReturnEstimate>, FnError>> {
    let ctx = use_wizard();
    Resource::new(
        move || ctx.draft.with(|d| d.request().map(|r| (r.order_id, r.items, r.reason, r.exchange_product_id))),
        move |asked| async move {
            match asked.and_then(|_| ctx.draft.with_untracked(Draft::request)) {
                Some(request) => estimate_return(request).await.map(Some),
                None => Ok(None),
            }
        },
    )
}

/// What the customer receives with `method`, worked out here by the domain's rule.
fn refund_of(ctx: WizardCtx, method: RefundMethod) -> Option<RefundEstimate> {
    ctx.draft.with(|d| ctx.data.with_value(|data| refund_for(d, data, method)))
}

/// Step 5: original payment, store credit (with its bonus) or an exchange, with the estimate.
#[component]
pub fn MethodStep() -> impl IntoView {
    let ctx = use_wizard();
    let estimate = estimate_resource();
    let options = Resource::new(|| (), |_| exchange_options());
    let chosen = move || ctx.draft.with(|d| d.method);
    view! {
        <StepHeading title="Choose your refund"/>
        <fieldset class="choices" data-testid="method-choices">
            <legend>"How do you want to be refunded?"</legend>
            <MethodChoice method=RefundMethod::OriginalPayment ctx/>
            <MethodChoice method=RefundMethod::StoreCredit ctx/>
            <Transition fallback=|| ()>
                {move || options.try_get().flatten().and_then(Result::ok).filter(|o| !o.is_empty()).map(|options| view! {
                    <MethodChoice method=RefundMethod::Exchange ctx/>
                    // Without the WASM the picker cannot appear on choosing: it is always there.
                    {move || (chosen() == Some(RefundMethod::Exchange) || !ctx.enhanced.get())
                        .then(|| view! { <ExchangePicker options=options.clone() ctx/> })}
                })}
            </Transition>
        </fieldset>
        <Transition fallback=|| view! { <p class="muted">"Working out your refund…"</p> }>
            {move || estimate.try_get().flatten().map(|result| match result {
                Ok(Some(e)) => {
                    let shown = chosen().unwrap_or(RefundMethod::OriginalPayment);
                    refund_of(ctx, shown).map(|lines| view! { <EstimateExplained estimate=e method=shown lines/> }).into_any()
                }
                Ok(None) => ().into_any(),
                Err(err) => view! { <p class="alert alert-error" role="alert">{err.message}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// One refund method. The wizard's state is passed in (`ctx`), as to `ExchangePicker`: both
/// render inside a `Transition`, out of the context's reach.
#[component]
fn MethodChoice(method: RefundMethod, ctx: WizardCtx) -> impl IntoView {
    let amount = move || {
        refund_of(ctx, method).map(|m| {
            let bonus = (m.bonus_cents > 0).then(|| format!(" (includes a {} bonus)", format_cents(m.bonus_cents)));
            format!(" · you receive {}{}", format_cents(m.total_cents), bonus.unwrap_or_default())
        })
    };
    view! {
        <label class="choice" data-testid="method-choice" data-method=method.as_str()>
            <input type="radio" form=FORM name="form[method]" value=method.as_str()
                checked=move || ctx.draft.with(|d| d.method == Some(method))
                prop:checked=move || ctx.draft.with(|d| d.method == Some(method))
                on:change=move |_| ctx.draft.update(|d| d.method = Some(method))/>
            <span>{method.label()} <span class="muted">{amount}</span></span>
        </label>
    }
}

#[component]
fn ExchangePicker(options: Vec<ExchangeOption>, ctx: WizardCtx) -> impl IntoView {
    let pick = move |ev: leptos::ev::Event| {
        let product = event_target_value(&ev).parse::<i64>().ok();
        ctx.draft.update(|d| d.exchange_product_id = product);
    };
    view! {
        <label class="field" for="exchange-product">"Product you want instead"</label>
        <select id="exchange-product" form=FORM name="form[exchange_product]" data-testid="exchange-product" on:change=pick>
            <option value="" selected=move || ctx.draft.with(|d| d.exchange_product_id.is_none())>"Choose a product"</option>
            {options.into_iter().map(|o| {
                let id = o.product_id;
                view! {
                    <option value=id selected=move || ctx.draft.with(|d| d.exchange_product_id == Some(id))>
                        {format!("{} · {} ({} in stock)", o.name, format_cents(o.price_cents), o.stock)}
                    </option>
                }
            }).collect_view()}
        </select>
    }
}

/// The chosen method's refund explained (`lines`, worked out here), with what only the server
/// knows from its `estimate`: the exchange quote and whether the items may be kept.
#[component]
fn EstimateExplained(estimate: ReturnEstimate, method: RefundMethod, lines: RefundEstimate) -> impl IntoView {
    let quote = estimate.exchange.clone().filter(|_| method == RefundMethod::Exchange);
    view! {
        <section class="estimate-box" data-testid="refund-estimate">
            <h3>{format!("Estimated refund: {}", method.label().to_lowercase())}</h3>
            <EstimateLines estimate=lines/>
            {quote.map(|quote| view! { <QuoteInfo quote/> })}
            {estimate.keep_it.then(|| view! { <p class="alert alert-ok" data-testid="keep-it">"Good news: you may keep the items, nothing needs to be sent back."</p> })}
            <p class="muted">"This is an estimate: the refund is decided once the items are checked."</p>
        </section>
    }
}

#[component]
fn QuoteInfo(quote: ExchangeQuote) -> impl IntoView {
    let balance = match quote.balance {
        ExchangeBalance::CustomerPays(c) if quote.store_credit_cents >= c => format!(
            "You pay the difference, {}, by card when you submit, or from your store credit (balance {}) if you leave the card empty.",
            format_cents(c),
            format_cents(quote.store_credit_cents)
        ),
        ExchangeBalance::CustomerPays(c) => format!("You pay the difference, {}, by card when you submit.", format_cents(c)),
        ExchangeBalance::CustomerCredited(c) => format!("The difference becomes store credit: {}", format_cents(c)),
        ExchangeBalance::Even => "Even exchange: nothing to pay.".to_owned(),
    };
    let stock = (!quote.in_stock)
        .then(|| view! { <p class="alert alert-warn">"This product just sold out: choose another."</p> });
    view! {
        <p data-testid="exchange-quote">"Exchange for " <strong>{quote.name}</strong> " (" <Money cents=quote.price_cents/> "). " {balance}</p>
        {stock}
    }
}

/// Step 6: everything chosen, with the estimate; the wizard's Submit button sends it.
#[component]
pub fn ReviewStep() -> impl IntoView {
    let ctx = use_wizard();
    let estimate = estimate_resource();
    let draft = ctx.draft.get_untracked();
    let order = ctx.data.with_value(|d| d.order(draft.order_id).cloned());
    let method = draft.method.unwrap_or(RefundMethod::OriginalPayment);
    let items: Vec<(String, i64)> = order
        .map(|o| {
            o.lines
                .into_iter()
                .filter_map(|l| Some(draft.units(l.order_line_id)).filter(|u| *u > 0).map(|u| (l.name, u)))
                .collect()
        })
        .unwrap_or_default();
    view! {
        <StepHeading title="Review and submit"/>
        <dl class="review" data-testid="review">
            <dt>"Order"</dt><dd>{draft.order_id.map(|id| format!("#{id}"))}</dd>
            <dt>"Items"</dt><dd><ul>{items.into_iter().map(|(name, units)| view! { <li>{format!("{units} × {name}")}</li> }).collect_view()}</ul></dd>
            <dt>"Reason"</dt><dd>{draft.reason.map(|r| r.label())}</dd>
            <dt>"Details"</dt><dd>{if draft.details.is_empty() { "—".to_owned() } else { draft.details.clone() }}</dd>
            <dt>"Photos"</dt><dd>{format!("{} photo(s)", draft.photos.len())}</dd>
            <dt>"Refund"</dt><dd>{method.label()}</dd>
        </dl>
        <Transition fallback=|| view! { <p class="muted">"Working out your refund…"</p> }>
            {move || estimate.try_get().flatten().map(|result| match result {
                Ok(Some(e)) => {
                    let owed = e.exchange.as_ref().filter(|_| method == RefundMethod::Exchange).and_then(|q| match q.balance {
                        ExchangeBalance::CustomerPays(c) => Some((c, q.store_credit_cents >= c)),
                        _ => None,
                    });
                    let lines = refund_of(ctx, method).unwrap_or_default();
                    view! {
                        <EstimateExplained estimate=e method lines/>
                        {owed.map(|(cents, optional)| view! { <DifferenceCard cents optional number=ctx.card_number expiry=ctx.card_expiry/> })}
                    }.into_any()
                }
                Ok(None) => ().into_any(),
                Err(err) => view! { <p class="alert alert-error" role="alert">{err.message}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// The card that pays a dearer replacement's difference, charged on submit. It belongs to the
/// wizard's form (posted with the Submit button before the WASM has loaded) and is kept in memory
/// only: never in the draft. (Its signals are passed in: it renders inside a `Transition`,
/// after the wizard's context may be out of reach.)
#[component]
fn DifferenceCard(cents: i64, optional: bool, number: RwSignal<String>, expiry: RwSignal<String>) -> impl IntoView {
    let legend = format!("Pay the difference: {}", format_cents(cents));
    view! {
        <fieldset class="payment" data-testid="difference-card">
            <legend>{legend}</legend>
            {optional.then(|| view! { <p class="field-hint">"Optional: without a card, your store credit pays it."</p> })}
            <label>"Card number"
                <input type="text" form=FORM name="form[card_number]" inputmode="numeric" autocomplete="cc-number"
                    placeholder="4242 4242 4242 4242" data-testid="difference-card-number"
                    prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev))/>
            </label>
            <label>"Expiry (MM/YYYY)"
                <input type="text" form=FORM name="form[card_expiry]" autocomplete="cc-exp" placeholder="12/2030"
                    data-testid="difference-card-expiry"
                    prop:value=move || expiry.get() on:input=move |ev| expiry.set(event_target_value(&ev))/>
            </label>
        </fieldset>
    }
}
