//! Settings of access for programs: personal API keys and the MCP endpoint
//! (`NEOFORGE_API_KEYS_PER_USER`, `NEOFORGE_MCP`).

use anyhow::bail;
use clap::Args;

const API_KEYS_PER_USER: u32 = 25;

#[derive(Args, Clone)]
pub struct ApiAccessArgs {
    /// Most personal API keys one user may hold at once.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_API_KEYS_PER_USER",
        default_value_t = API_KEYS_PER_USER
    )]
    pub api_keys_per_user: u32,
    /// Serve the MCP endpoint at `/mcp` (AI agents acting on the user's todos with a key or
    /// token); `off` answers it `404`.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_MCP",
        default_value = "on",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub mcp: bool,
}

impl Default for ApiAccessArgs {
    fn default() -> Self {
        Self {
            api_keys_per_user: API_KEYS_PER_USER,
            mcp: true,
        }
    }
}

/// How programs may reach the API.
#[derive(Debug, Clone, Copy)]
pub struct ApiAccessSettings {
    pub api_keys_per_user: u32,
    pub mcp_enabled: bool,
}

impl ApiAccessSettings {
    pub fn new(args: &ApiAccessArgs) -> anyhow::Result<Self> {
        if args.api_keys_per_user == 0 {
            bail!("NEOFORGE_API_KEYS_PER_USER must be at least 1");
        }
        Ok(Self {
            api_keys_per_user: args.api_keys_per_user,
            mcp_enabled: args.mcp,
        })
    }
}
