//! A task's `retries` and `delay` when they are templates (`retries = "{{ polls }}"`).

use std::time::Duration;

use minijinja::Value;

use super::host::HostRun;
use crate::program::Task;
use crate::template::TemplateError;

impl HostRun {
    /// `retries` and `delay`, rendered when they are templates.
    pub(super) fn polling(&self, t: &Task, vars: &Value) -> Result<(u32, Duration), TemplateError> {
        let render = |v: &crate::program::Value, what: &str| {
            v.render(&self.s.templates, vars, &self.s.secrets)
                .map_err(|e| TemplateError {
                    message: format!("`{what}`: {}", e.message),
                    ..e
                })
        };
        let bad = |what: &str, v: &Value| TemplateError {
            message: format!(
                "`{what}` must be {}, got `{v}`",
                if what == "retries" {
                    "an integer from 0"
                } else {
                    "a duration like 10s"
                }
            ),
            range: None,
            line: None,
            undefined: false,
        };
        let retries = match &t.retries_expr {
            None => t.retries,
            Some(e) => {
                let v = render(e, "retries")?;
                i64::try_from(v.clone())
                    .ok()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad("retries", &v))?
            }
        };
        let delay = match &t.delay_expr {
            None => t.delay,
            Some(e) => {
                let v = render(e, "delay")?;
                // A duration (`10s`), or seconds as a number or in a string (`-e poll=0.5`).
                v.as_str()
                    .and_then(|s| crate::duration::parse(s.trim()))
                    .or_else(|| {
                        f64::try_from(v.clone())
                            .ok()
                            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                            .filter(|f: &f64| f.is_finite() && *f >= 0.0)
                            .map(Duration::from_secs_f64)
                    })
                    .ok_or_else(|| bad("delay", &v))?
            }
        };
        Ok((retries, delay))
    }
}
