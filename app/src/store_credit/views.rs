//! The store credit on the account page (the shell puts it below the account's forms): the
//! balance, what it pays, and every entry of the ledger with its reason and link (a return or
//! an order). Server-rendered, so it reads without the WASM; nothing for a visitor.

use leptos::prelude::*;

use super::server_fns::store_credit;
use crate::time::display_utc;
use crate::ui::components::Money;
use domain::returns::credit::{CreditAccount, CreditEntry};

#[component]
pub fn StoreCreditSection() -> impl IntoView {
    let account = Resource::new(|| (), |_| store_credit());
    view! {
        <Transition fallback=|| ()>
            {move || account.get().map(|result| match result {
                Ok(account) => view! { <section class="panel auth"><h2>"Store credit"</h2><Ledger account/></section> }.into_any(),
                // The account page asks a visitor to log in.
                Err(err) if err.status == 401 => ().into_any(),
                Err(err) => view! { <p class="alert alert-error" role="alert">{err.message}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Ledger(account: CreditAccount) -> impl IntoView {
    let entries = account.entries;
    view! {
        <p data-testid="credit-balance">"Balance: " <strong><Money cents=account.balance_cents/></strong></p>
        <p class="muted">"Store credit pays at checkout, alone or with a card: tick “Use my store credit”."</p>
        {if entries.is_empty() {
            view! { <p class="muted">"No store credit yet: choose it as the refund of a return, with a bonus."</p> }.into_any()
        } else {
            view! {
                <table class="table ledger" data-testid="credit-ledger">
                    <thead><tr><th>"Date"</th><th>"What"</th><th>"For"</th><th class="num">"Amount"</th></tr></thead>
                    <tbody>{entries.into_iter().map(|entry| view! { <LedgerRow entry/> }).collect_view()}</tbody>
                </table>
            }
            .into_any()
        }}
    }
}

#[component]
fn LedgerRow(entry: CreditEntry) -> impl IntoView {
    let link = match (entry.return_id, entry.order_id) {
        (Some(id), _) => Some(view! { <a href=format!("/returns/{id}")>{entry.note.clone()}</a> }.into_any()),
        (None, Some(id)) => Some(view! { <a href=format!("/orders/{id}")>{format!("Order #{id}")}</a> }.into_any()),
        (None, None) => None,
    };
    let sign = if entry.amount_cents > 0 { "+" } else { "−" };
    view! {
        <tr data-testid="credit-entry" data-reason=entry.reason.as_str()>
            <td>{display_utc(entry.created_at_ms)}</td>
            <td>{entry.reason.label()}</td>
            <td>{link}</td>
            <td class="num">{sign} <Money cents=entry.amount_cents.saturating_abs()/></td>
        </tr>
    }
}
