//! Secret values: every string that came from a `secret` is replaced in all output.

use std::sync::{Arc, RwLock};

pub const MASK: &str = "********";

/// The secret strings known so far in a run; shared by the executor and its event sink.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    values: Arc<RwLock<Vec<String>>>,
}

impl Secrets {
    pub fn add(&self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut values = self.values.write().expect("secrets lock is never poisoned");
        if !values.iter().any(|v| v == value) {
            values.push(value.to_string());
            // Longest first, so a secret containing another is masked whole.
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut values = self
            .values
            .read()
            .expect("secrets lock is never poisoned")
            .clone();
        // Longest first, so a secret containing another is masked whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let mut out = text.to_string();
        for v in values.iter() {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.values
            .read()
            .expect("secrets lock is never poisoned")
            .is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_longest_first() {
        let s = Secrets::default();
        s.add("hunter2");
        s.add("hunter2-long");
        assert_eq!(
            s.redact("a hunter2 b hunter2-long"),
            "a ******** b ********"
        );
    }
}
