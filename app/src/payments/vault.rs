//! Card details of orders whose payment is still pending, held in memory only: the database
//! never sees more than brand and last four digits. A restart forgets them; the worker then
//! fails those orders with a clear message and releases their stock.

use std::collections::HashMap;
use std::sync::Mutex;

use domain::card::Card;

#[derive(Default)]
pub struct CardVault {
    cards: Mutex<HashMap<i64, Card>>,
}

impl CardVault {
    pub fn keep(&self, order_id: i64, card: Card) {
        if let Ok(mut cards) = self.cards.lock() {
            cards.insert(order_id, card);
        }
    }

    pub fn get(&self, order_id: i64) -> Option<Card> {
        self.cards.lock().ok().and_then(|c| c.get(&order_id).cloned())
    }

    pub fn forget(&self, order_id: i64) {
        if let Ok(mut cards) = self.cards.lock() {
            cards.remove(&order_id);
        }
    }
}
