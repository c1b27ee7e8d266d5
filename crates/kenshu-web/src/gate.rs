//! A first, in-memory line against sign-in floods from one address: a token bucket per client
//! address and instance. It only ever refuses what the database throttle (`auth.rs`) would
//! have refused a moment later, without the database round trips, so that one address cannot
//! keep the portal's connections busy with wrong passwords. The database throttle stays the
//! authority (it is shared by every instance and counts per account).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Attempts one address may make at once, and how many more it earns each second: an office
/// behind one proxy signing in at 8:30 stays well inside it.
const BURST: f64 = 30.0;
const PER_SECOND: f64 = 5.0;
/// Addresses remembered at most; past that the quietest are forgotten.
const MAX_CLIENTS: usize = 100_000;

#[derive(Default)]
pub struct SignInGate {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl SignInGate {
    /// Takes a token for `client`; false when the address has none left.
    pub fn admit(&self, client: &str) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let now = Instant::now();
        if buckets.len() >= MAX_CLIENTS {
            // Full buckets are what a new address would get anyway: forget them.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * PER_SECOND < BURST
            });
        }
        let (tokens, at) = buckets.entry(client.to_string()).or_insert((BURST, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * PER_SECOND).min(BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Gives the token back: a successful sign-in is no part of a flood, so an office behind
    /// one address can sign everyone in at once.
    pub fn refund(&self, client: &str) {
        if let Ok(mut buckets) = self.buckets.lock()
            && let Some((tokens, _)) = buckets.get_mut(client)
        {
            *tokens = (*tokens + 1.0).min(BURST);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_address_gets_its_burst_then_five_a_second_and_others_are_not_affected() {
        let gate = super::SignInGate::default();
        let admitted = (0..100).filter(|_| gate.admit("10.0.0.1")).count();
        assert_eq!(admitted, 30);
        assert!(gate.admit("10.0.0.2"));
        std::thread::sleep(std::time::Duration::from_millis(450));
        let later = (0..10).filter(|_| gate.admit("10.0.0.1")).count();
        assert!((2..=3).contains(&later), "{later}");
    }

    #[test]
    fn successful_sign_ins_give_their_token_back() {
        let gate = super::SignInGate::default();
        for _ in 0..200 {
            assert!(
                gate.admit("10.0.0.9"),
                "an office signing everyone in at once"
            );
            gate.refund("10.0.0.9");
        }
    }
}
