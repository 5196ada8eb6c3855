//! How many passwords may be hashed at once (`NEOFORGE_PASSWORD_HASHING_THREADS`); the
//! hashing itself is `auth::password`.

use clap::Args;

/// Password hashing (`NEOFORGE_PASSWORD_HASHING_THREADS`).
#[derive(Args, Clone, Default)]
pub struct PasswordArgs {
    /// How many passwords may be hashed or verified at once; `0`: one fewer than the cores
    /// (at least one), so a storm of sign-ins always leaves a core to everything else.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_PASSWORD_HASHING_THREADS",
        default_value_t = 0
    )]
    pub password_hashing_threads: usize,
}

impl PasswordArgs {
    /// The configured number, or the default for this machine.
    pub fn threads(&self) -> usize {
        match self.password_hashing_threads {
            0 => {
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                cores.saturating_sub(1).max(1)
            }
            threads => threads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_leaves_a_core_by_default() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(PasswordArgs::default().threads(), (cores - 1).max(1));
        let configured = PasswordArgs {
            password_hashing_threads: 3,
        };
        assert_eq!(configured.threads(), 3);
    }
}
