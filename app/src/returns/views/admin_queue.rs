//! `/admin/returns`: the RMA queue, oldest first, with age badges and the review flag. The
//! filters are a plain GET form (the URL holds them), so the queue works without JavaScript
//! and a filtered view can be bookmarked; once hydrated it refreshes every few seconds.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::common::{age_days, now_ms, ReturnStatusBadge};
use crate::returns::model::{QueueFilter, Reason, ReturnStatus, ReturnSummary};
use crate::returns::server_fns::admin_returns;
use crate::time::display_utc;
use crate::ui::components::resource_view;
use crate::ui::ticker::use_ticker;

#[component]
pub fn AdminReturnsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| QueueFilter {
            status: q.get("status").and_then(|s| ReturnStatus::parse(&s)),
            reason: q.get("reason").and_then(|r| Reason::parse(&r)),
            min_age_days: q.get("age").and_then(|a| a.trim().parse::<i64>().ok()).filter(|a| *a > 0),
            review_only: q.get("review").is_some_and(|r| r == "1"),
        })
    });
    let ticks = use_ticker(Duration::from_secs(5));
    let queue = Resource::new(move || (filter.get(), ticks.get()), |(filter, _)| admin_returns(filter));
    view! {
        <Title text="Returns · Admin · Retail"/>
        <section class="panel admin-returns">
            <h1>"Returns"</h1>
            <QueueFilters filter=filter.get_untracked()/>
            {resource_view(queue, "Loading returns…", |list| view! { <QueueTable list/> })}
        </section>
    }
}

#[component]
fn QueueFilters(filter: QueueFilter) -> impl IntoView {
    view! {
        <form method="get" action="/admin/returns" class="form-grid queue-filters" data-testid="queue-filters">
            <label>"Status"
                <select name="status" data-testid="filter-status">
                    <option value="">"Any"</option>
                    {ReturnStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=filter.status == Some(s)>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Reason"
                <select name="reason" data-testid="filter-reason">
                    <option value="">"Any"</option>
                    {Reason::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=filter.reason == Some(r)>{r.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Older than (days)"
                <input type="number" name="age" min="0" value=filter.min_age_days.map(|d| d.to_string()) data-testid="filter-age"/>
            </label>
            <label class="inline"><input type="checkbox" name="review" value="1" checked=filter.review_only data-testid="filter-review"/> "Needs review only"</label>
            <div><button type="submit" data-testid="filter-apply">"Filter"</button> " " <a href="/admin/returns">"Clear"</a></div>
        </form>
    }
}

#[component]
fn QueueTable(list: Vec<ReturnSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted" data-testid="queue-empty">"No returns match."</p> }.into_any();
    }
    let now = now_ms();
    view! {
        <table class="table" data-testid="returns-queue">
            <thead><tr><th>"Return"</th><th>"Customer"</th><th>"Order"</th><th>"Reason"</th><th>"Units"</th><th>"Requested"</th><th>"Age"</th><th>"Status"</th></tr></thead>
            <tbody>{list.into_iter().map(|r| view! { <QueueRow r now/> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn QueueRow(r: ReturnSummary, now: i64) -> impl IntoView {
    let label = r.rma_number.clone().unwrap_or_else(|| format!("Return #{}", r.id));
    let days = age_days(now, r.created_at_ms);
    let age_class = match days {
        0..=1 => "age-fresh",
        2..=6 => "age-aging",
        _ => "age-old",
    };
    view! {
        <tr data-testid="queue-row" data-return-id=r.id data-status=r.status.as_str()>
            <td><a href=format!("/admin/returns/{}", r.id)>{label}</a></td>
            <td>{r.customer}</td>
            <td>{format!("#{}", r.order_id)}</td>
            <td>{r.reason.label()}</td>
            <td>{r.units}</td>
            <td>{display_utc(r.created_at_ms)}</td>
            <td><span class=format!("badge {age_class}") data-testid="age-badge">{format!("{days} d")}</span></td>
            <td>
                <ReturnStatusBadge status=r.status/>
                {r.review_reason.map(|why| {
                    let title = why.clone();
                    view! { <span class="badge review-flag" title=title data-testid="review-flag">"review: " {why}</span> }
                })}
            </td>
        </tr>
    }
}
