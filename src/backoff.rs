//! The one retry delay: exponential backoff with jitter, for the daemon's reconnect loop and the
//! outbox's retries, so that several workers or daemons do not retry in step.

use std::time::Duration;

/// The delay before retry number `attempt` (1-based): `base` × 2^(attempt−1), capped at `max`,
/// times a random factor between 0.8 and 1.2.
pub fn delay(base: Duration, attempt: u32, max: Duration) -> Duration {
    let ceiling = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(max);
    ceiling.mul_f64(0.8 + rand::random::<f64>() * 0.4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_within_twenty_percent() {
        let s = Duration::from_secs;
        for (attempt, ceiling) in [(0, 1), (1, 1), (2, 2), (3, 4), (7, 60), (9, 60)] {
            let d = delay(s(1), attempt, s(60));
            assert!(
                d >= s(ceiling).mul_f64(0.8) && d <= s(ceiling).mul_f64(1.2),
                "attempt {attempt}: {d:?}"
            );
        }
    }

    #[test]
    fn many_attempts_do_not_overflow() {
        for attempt in [30, 1000, u32::MAX] {
            assert!(
                delay(
                    Duration::from_millis(500),
                    attempt,
                    Duration::from_secs(300)
                ) <= Duration::from_secs(360)
            );
        }
    }
}
