//! A person's name for the device behind a session ("Chrome on Linux"), read from its
//! `User-Agent` header by woothee's rules.

use woothee::parser::Parser;

/// What woothee reports for a part it cannot tell.
const UNKNOWN: &str = "UNKNOWN";

/// `"<browser> on <system>"`, or whichever of the two is known; `None` when neither is
/// (a script, an empty header), so the client can say "Unknown device" in its own words.
pub fn describe(user_agent: &str) -> Option<String> {
    let parsed = Parser::new().parse(user_agent)?;
    let browser = Some(parsed.name).filter(|name| *name != UNKNOWN && !name.is_empty());
    let system = Some(parsed.os)
        .filter(|os| *os != UNKNOWN && !os.is_empty())
        .map(|os| if os == "Mac OSX" { "macOS" } else { os });
    match (browser, system) {
        (Some(browser), Some(system)) => Some(format!("{browser} on {system}")),
        (Some(only), None) | (None, Some(only)) => Some(only.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_read_as_browser_on_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Windows 10",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
        ];
        for (agent, expected) in cases {
            assert_eq!(describe(agent).as_deref(), Some(expected), "{agent}");
        }
    }

    #[test]
    fn unknown_agents_have_no_description() {
        assert_eq!(describe(""), None);
        assert_eq!(describe("my-script/1.0"), None);
    }
}
