//! Builds the web app (`web/`) with Node and esbuild into `OUT_DIR`, where `src/web` embeds
//! it. `cargo build`, `cargo run` and `cargo test` all run this, so nobody has to remember a
//! separate front-end step; it reruns only when the web sources or the lockfile change.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = root.join("web");
    for input in [
        "src",
        "static",
        "scripts",
        "build.mjs",
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "tsconfig.sw.json",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("web");

    if needs_install(&web) {
        run(
            Command::new(npm()).args(["ci", "--no-audit", "--no-fund"]),
            &web,
            "npm ci",
        );
    }
    run(
        Command::new("node").arg("build.mjs").arg(&out),
        &web,
        "node build.mjs",
    );
}

/// `node_modules` is missing, or older than the lockfile (a dependency changed).
fn needs_install(web: &Path) -> bool {
    let installed = web.join("node_modules").join(".package-lock.json");
    let modified = |path: &Path| path.metadata().and_then(|m| m.modified()).ok();
    match (
        modified(&installed),
        modified(&web.join("package-lock.json")),
    ) {
        (Some(installed), Some(lockfile)) => installed < lockfile,
        _ => true,
    }
}

fn npm() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

fn run(command: &mut Command, dir: &Path, what: &str) {
    let status = command.current_dir(dir).status().unwrap_or_else(|err| {
        panic!(
            "\n\nBuilding the web app needs Node.js 20 or newer with npm on the PATH \
             (`{what}` could not start: {err}).\nInstall Node.js, e.g. `apt-get install nodejs npm`, \
             then build again.\n\n"
        )
    });
    if !status.success() {
        panic!(
            "\n\n`{what}` failed in {} ({status}); see its output above.\n\n",
            dir.display()
        );
    }
}
