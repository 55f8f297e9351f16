//! One headless Chromium for the whole test binary, driven over WebDriver
//! (Debian's `chromium-driver`), and axe-core's accessibility check.
//!
//! A test starts its app first (`spawn_app_configured`, in parallel with
//! the others), then takes the browser:
//!
//! ```ignore
//! let app = helpers::spawn_app_configured(|_| {}, routes).await;
//! let Some(browser) = harness::browser().await else { return };  // skipped
//! harness::goto(&browser, &app.url("/login")).await;
//! harness::assert_accessible(&browser, "login").await;
//! ```
//!
//! # Design: one session on its own runtime, taken in turns
//!
//! chromedriver starts a Chromium per WebDriver session, so "one browser per
//! test binary" means one session. Every `#[tokio::test]` has a runtime of
//! its own, which ends with the test; a fantoccini `Client` keeps its
//! connection in a task on the runtime it was made on, so a client made by
//! the first test would die with it. The session is therefore made on a
//! dedicated runtime that lives as long as the process (in a static, never
//! dropped): a `Client` only sends commands over a channel to that task, so
//! any test's runtime may use it. Tests take the browser in turns behind a
//! `tokio::sync::Mutex` (runtime-agnostic, and not poisoned by a panicking
//! test); each turn starts from a blank page with no cookies (every test app
//! is on 127.0.0.1, and cookies do not tell ports apart).
//!
//! chromedriver and Chromium are one process group. A watchdog `sh` reads a
//! pipe whose only writer is this process: when the test binary exits,
//! however it ends (success, failure, ctrl-c, abort), the pipe closes and the
//! watchdog ends the group and removes the profile directory. A static is
//! never dropped, so a Drop guard could not do this, and an atexit hook
//! would not run on ctrl-c.
//!
//! # Missing browser
//!
//! Without Chromium (`CHROME_BIN`, else `chromium` on the PATH), chromedriver
//! (`CHROMEDRIVER_BIN`, else `chromedriver` on the PATH) or
//! `web/node_modules/axe-core` (`npm ci --prefix web`), [`browser`] prints a
//! loud line to stderr and returns `None`, so `cargo test` passes on a
//! machine without them; with `TEST_REQUIRE_BROWSER=1` (CI) it panics
//! instead. A browser that is there but does not start always fails.

use std::fmt;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde::Deserialize;
use serde_json::{Value, json};

/// The Chromium flags: headless, nothing fetched in the background, a
/// profile of its own. `--disable-dev-shm-usage` because containers give
/// /dev/shm 64 MB; a fixed window size and language so that pages lay out
/// and negotiate the same everywhere (the staff UI is Dutch first).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--lang=nl-NL",
];

/// The browser's `Accept-Language`.
pub const ACCEPT_LANGUAGE: &str = "nl-NL,nl";

/// The axe-core rule tags checked: WCAG 2.0 and 2.1, A and AA, and axe's
/// best practices.
pub const AXE_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/// How long the helpers wait for an element or a condition.
pub const WAIT: Duration = Duration::from_secs(5);

/// Shared by every test of the binary; see the module comment.
struct Shared {
    client: Client,
    /// Owns the session's task; kept alive for the process.
    _runtime: tokio::runtime::Runtime,
    /// chromedriver, ended with its group by the watchdog.
    _driver: Child,
    /// Its stdin is the pipe the watchdog waits on; held, never written.
    _watchdog: Child,
    axe_source: String,
}

enum Unavailable {
    /// Something is not installed: a skip, or a failure when required.
    Missing(Vec<String>),
    /// Installed but not working: always a failure.
    Broken(String),
}

static SHARED: tokio::sync::OnceCell<Result<Shared, Unavailable>> =
    tokio::sync::OnceCell::const_new();
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The shared browser, for one test at a time (dropped: the next test's
/// turn). Derefs to the fantoccini [`Client`] for anything the helpers lack.
pub struct Browser {
    client: Client,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

/// Named as `TEST_DATABASE_URL` is, not `BRUG_*`: brug takes every `BRUG_*`
/// variable for a setting and refuses one it does not know (the config
/// unit tests and `brug serve` would fail in CI).
fn required() -> bool {
    matches!(
        std::env::var("TEST_REQUIRE_BROWSER").as_deref(),
        Ok("1" | "true" | "yes")
    )
}

/// Written past libtest's output capture, so that it shows for passing
/// tests too.
fn loud(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The browser for this test, or `None` (after a loud line on stderr) when
/// Chromium, chromedriver or axe-core is missing and `TEST_REQUIRE_BROWSER`
/// is not `1`. Take it after starting the app: the wait for a turn is then
/// the only part of the test that runs one at a time.
pub async fn browser() -> Option<Browser> {
    let test = std::thread::current()
        .name()
        .unwrap_or("a browser test")
        .to_owned();
    match SHARED.get_or_init(start).await {
        Ok(shared) => {
            let turn = TURN.lock().await;
            let browser = Browser {
                client: shared.client.clone(),
                _turn: turn,
            };
            reset(&browser).await;
            Some(browser)
        }
        Err(Unavailable::Missing(missing)) if !required() => {
            static NOTICE: Once = Once::new();
            NOTICE.call_once(|| {
                loud(&format!(
                    "\n!!!!! BROWSER TESTS SKIPPED: what they need is missing:\n{}\n\
                     !!!!! Install it, or set TEST_REQUIRE_BROWSER=1 to make this a failure \
                     (CI does).\n\n",
                    bullets(missing)
                ));
            });
            loud(&format!("!!!!! SKIPPED browser test {test}\n"));
            None
        }
        Err(Unavailable::Missing(missing)) => panic!(
            "TEST_REQUIRE_BROWSER=1, but what the browser tests need is missing:\n{}",
            bullets(missing)
        ),
        Err(Unavailable::Broken(why)) => panic!("the test browser does not work: {why}"),
    }
}

fn bullets(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  - {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A program named by `var`, else found on the PATH.
fn program(var: &str, name: &str) -> Result<PathBuf, String> {
    if let Some(set) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(set);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{var}={} does not exist", path.display()))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| format!("no `{name}` on the PATH ({var} not set)"))
}

fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web/node_modules/axe-core/axe.min.js")
}

async fn start() -> Result<Shared, Unavailable> {
    let mut missing = Vec::new();
    let chromium = program("CHROME_BIN", "chromium")
        .map_err(|e| missing.push(format!("Chromium: {e} (Debian: apt-get install chromium)")));
    let driver = program("CHROMEDRIVER_BIN", "chromedriver").map_err(|e| {
        missing.push(format!(
            "chromedriver: {e} (Debian: apt-get install chromium-driver)"
        ))
    });
    let axe_source = std::fs::read_to_string(axe_path()).map_err(|e| {
        missing.push(format!(
            "axe-core: cannot read {}: {e} (npm ci --prefix web)",
            axe_path().display()
        ))
    });
    let (Ok(chromium), Ok(driver), Ok(axe_source)) = (chromium, driver, axe_source) else {
        return Err(Unavailable::Missing(missing));
    };
    launch(&chromium, &driver, axe_source)
        .await
        .map_err(Unavailable::Broken)
}

#[cfg(not(unix))]
async fn launch(_: &Path, _: &Path, _: String) -> Result<Shared, String> {
    Err("the browser harness runs on Unix-like systems only".into())
}

#[cfg(unix)]
async fn launch(chromium: &Path, driver_path: &Path, axe_source: String) -> Result<Shared, String> {
    use std::os::unix::process::CommandExt;

    let profile = tempfile::Builder::new()
        .prefix("brug-chromium-")
        .tempdir()
        .map_err(|e| format!("cannot make a profile directory: {e}"))?
        // Removed by the watchdog, after Chromium has ended.
        .keep();
    let log_path = profile.join("chromedriver.log");
    let (mut driver, port) = {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let log = std::fs::File::create(&log_path)
                .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
            let log_err = log.try_clone().map_err(|e| e.to_string())?;
            // Its own process group, which Chromium joins: the watchdog
            // ends both together.
            let mut driver = Command::new(driver_path)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                // Never a pipe: Chromium would hold it open past the test
                // binary's exit (`cargo test | tee` would wait for it).
                .stdout(log)
                .stderr(log_err)
                .process_group(0)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", driver_path.display()))?;
            match wait_listening(&mut driver, port).await {
                Ok(()) => break (driver, port),
                // Another process took the port in between: once more.
                Err(e) if attempt < 3 => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    eprintln!("chromedriver did not start ({e}); again");
                }
                Err(e) => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    let _ = std::fs::remove_dir_all(&profile);
                    return Err(format!("{e}; its log:\n{log}"));
                }
            }
        }
    };
    let watchdog = Command::new("/bin/sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("brug-browser-watchdog")
        .arg(driver.id().to_string())
        .arg(&profile)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Out of the terminal's foreground group: ctrl-c ends the tests,
        // and then the watchdog does its work.
        .process_group(0)
        .spawn();
    let watchdog = match watchdog {
        Ok(watchdog) => watchdog,
        Err(e) => {
            let _ = driver.kill();
            let _ = driver.wait();
            return Err(format!("cannot start the watchdog: {e}"));
        }
    };

    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--accept-lang={ACCEPT_LANGUAGE}"));
    let capabilities = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "pageLoad": 30_000, "script": 30_000, "implicit": 0 },
        "goog:chromeOptions": {
            "binary": chromium,
            "args": args,
            "prefs": { "intl": { "accept_languages": ACCEPT_LANGUAGE } },
        },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!("an object")
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("browser-session")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the browser runtime: {e}"))?;
    let url = format!("http://127.0.0.1:{port}");
    let connecting = runtime.spawn(async move {
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
    });
    let client = match connecting.await {
        Ok(Ok(client)) => client,
        failed => {
            let why = match failed {
                Ok(Err(e)) => format!(
                    "chromedriver {} could not start {} (they must be of one version): {e}\n\
                     chromedriver's log:\n{}",
                    driver_path.display(),
                    chromium.display(),
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                ),
                Err(e) => format!("the WebDriver connection task failed: {e}"),
                Ok(Ok(_)) => unreachable!("matched above"),
            };
            // Dropping a runtime may block, which an async context forbids.
            runtime.shutdown_background();
            // Its pipe closes: the watchdog ends chromedriver and removes
            // the profile.
            drop(watchdog);
            return Err(why);
        }
    };
    Ok(Shared {
        client,
        _runtime: runtime,
        _driver: driver,
        _watchdog: watchdog,
        axe_source,
    })
}

/// `$1`: the process group of chromedriver and Chromium; `$2`: the profile.
/// `read` sees end-of-file once the test binary has exited.
const WATCHDOG: &str = r#"
trap '' INT HUP
while read -r _; do :; done
kill -TERM "-$1" 2>/dev/null
i=0
while kill -0 "-$1" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "-$1" 2>/dev/null
rm -rf -- "$2"
"#;

fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

async fn wait_listening(driver: &mut Child, port: u16) -> Result<(), String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("chromedriver exited at once ({status})"));
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "chromedriver is not listening on port {port} after 10 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A Chrome DevTools command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        // reqwest's Method is the `http` 1 crate's, as fantoccini's.
        let body = json!({ "cmd": self.0, "params": {} });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

/// The start of each turn: no cookies (of any test's app), a blank page.
async fn reset(client: &Client) {
    client
        .issue_cmd(Cdp("Network.clearBrowserCookies"))
        .await
        .unwrap_or_else(|e| panic!("cannot clear the browser's cookies: {e}"));
    goto(client, "about:blank").await;
}

fn expect<T>(result: Result<T, fantoccini::error::CmdError>, doing: impl fmt::Display) -> T {
    result.unwrap_or_else(|e| panic!("browser: {doing}: {e}"))
}

// ---------------------------------------------------------------------------
// Navigation and reading

/// Loads `url` and waits for the page's load event.
pub async fn goto(client: &Client, url: &str) {
    expect(client.goto(url).await, format_args!("open {url}"));
}

pub async fn current_url(client: &Client) -> url::Url {
    expect(client.current_url().await, "read the URL")
}

/// Waits (up to [`WAIT`]) for the element `css` selects, e.g. the page a
/// form submission or an htmx swap brings.
pub async fn wait_for(client: &Client, css: &str) -> Element {
    expect(
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await,
        format_args!("find {css:?} within {WAIT:?}"),
    )
}

/// The rendered text of the element `css` selects (waiting for it).
pub async fn text_of(client: &Client, css: &str) -> String {
    let element = wait_for(client, css).await;
    expect(
        element.text().await,
        format_args!("read the text of {css:?}"),
    )
}

/// The cookie `name` as the browser holds it (HttpOnly ones included).
pub async fn cookie(client: &Client, name: &str) -> Option<Cookie<'static>> {
    match client.get_named_cookie(name).await {
        Ok(cookie) => Some(cookie),
        Err(e) if e.is_no_such_cookie() => None,
        Err(e) => panic!("browser: read cookie {name:?}: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Forms, with the mouse's helpers

/// `s` as an XPath 1.0 string literal (it has no escapes: a text with both
/// quote kinds is spelt with `concat`).
pub fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

async fn find_xpath(client: &Client, xpath: &str, what: impl fmt::Display) -> Element {
    expect(
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(xpath))
            .await,
        format_args!("find {what}"),
    )
}

async fn replace_value(field: &Element, value: &str, what: impl fmt::Display) {
    expect(field.clear().await, format_args!("clear {what}"));
    expect(
        field.send_keys(value).await,
        format_args!("type into {what}"),
    );
}

/// Types `value` into the field whose `<label>` reads `label` (whitespace
/// normalised; by `for`, or the field inside the label).
pub async fn fill_by_label(client: &Client, label: &str, value: &str) {
    let what = format!("the field labelled {label:?}");
    let label_element = find_xpath(
        client,
        &format!("//label[normalize-space(.)={}]", xpath_literal(label)),
        &what,
    )
    .await;
    let field = match expect(label_element.attr("for").await, "read a label's for") {
        Some(id) => expect(
            client.find(Locator::Id(&id)).await,
            format_args!("find #{id}, which the label {label:?} names"),
        ),
        None => expect(
            label_element
                .find(Locator::XPath(".//input | .//select | .//textarea"))
                .await,
            format_args!("find the field inside the label {label:?}"),
        ),
    };
    replace_value(&field, value, what).await;
}

/// Types `value` into the field `name="…"`.
pub async fn fill_by_name(client: &Client, name: &str, value: &str) {
    let what = format!("the field named {name:?}");
    let field = find_xpath(
        client,
        &format!("//*[@name={}]", xpath_literal(name)),
        &what,
    )
    .await;
    replace_value(&field, value, what).await;
}

/// Clicks the `<button>` (or `<input type=submit|button>`) that reads `text`.
pub async fn click_button(client: &Client, text: &str) {
    let literal = xpath_literal(text);
    let button = find_xpath(
        client,
        &format!(
            "//button[normalize-space(.)={literal}] \
             | //input[(@type='submit' or @type='button') and @value={literal}]"
        ),
        format_args!("the button {text:?}"),
    )
    .await;
    expect(button.click().await, format_args!("click {text:?}"));
}

// ---------------------------------------------------------------------------
// The keyboard alone

/// Presses and releases each character of `text` (a [`Key`] as a char, e.g.
/// `Key::Enter.into()`) in whatever has focus, as a keyboard does.
pub async fn type_keys(client: &Client, text: &str) {
    let mut keys = KeyActions::new("keyboard".into());
    for value in text.chars() {
        keys = keys
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
    }
    expect(
        client.perform_actions(keys).await,
        format_args!("type {text:?}"),
    );
    expect(client.release_actions().await, "release the keys");
}

pub async fn press(client: &Client, key: Key) {
    type_keys(client, &char::from(key).to_string()).await;
}

/// Moves focus forward, as Tab does.
pub async fn tab(client: &Client) {
    press(client, Key::Tab).await;
}

/// Moves focus back, as Shift+Tab does.
pub async fn shift_tab(client: &Client) {
    let (shift, tab) = (char::from(Key::Shift), char::from(Key::Tab));
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: shift })
        .then(KeyAction::Down { value: tab })
        .then(KeyAction::Up { value: tab })
        .then(KeyAction::Up { value: shift });
    expect(client.perform_actions(keys).await, "press Shift+Tab");
    expect(client.release_actions().await, "release the keys");
}

/// Whether the focused element matches `css`.
pub async fn is_focused(client: &Client, css: &str) -> bool {
    let answer = expect(
        client
            .execute(
                "const e = document.activeElement; return !!e && e.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await,
        "read the focused element",
    );
    answer.as_bool().unwrap_or(false)
}

/// The focused element, described for a failure message: `tag#id[name]`.
pub async fn focused(client: &Client) -> String {
    let answer = expect(
        client
            .execute(
                "const e = document.activeElement;
                 if (!e) return '(nothing)';
                 return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (e.name ? '[name=' + e.name + ']' : '');",
                vec![],
            )
            .await,
        "read the focused element",
    );
    answer.as_str().unwrap_or_default().to_owned()
}

pub async fn assert_focused(client: &Client, css: &str) {
    assert!(
        is_focused(client, css).await,
        "focus is on {}, not on {css:?}",
        focused(client).await
    );
}

// ---------------------------------------------------------------------------
// Accessibility: axe-core

/// One axe rule the page breaks, with the elements that break it.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The rule, e.g. `image-alt`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<ViolationNode>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ViolationNode {
    /// CSS selector(s) of the element.
    pub target: String,
    pub html: String,
    #[serde(rename = "failureSummary")]
    pub failure_summary: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({}): {} <{}>",
            self.id,
            self.impact.as_deref().unwrap_or("no impact given"),
            self.help,
            self.help_url
        )?;
        for node in &self.nodes {
            writeln!(f, "    at {}: {}", node.target, node.html)?;
            for line in node.failure_summary.lines() {
                writeln!(f, "      {line}")?;
            }
        }
        Ok(())
    }
}

/// Runs axe-core on the current page (the rules of [`AXE_TAGS`]) and
/// returns what it finds. The script is injected through WebDriver, which
/// the page's Content-Security-Policy does not govern.
pub async fn axe(client: &Client) -> Vec<Violation> {
    let Some(Ok(shared)) = SHARED.get() else {
        panic!("axe() needs the browser from harness::browser()");
    };
    let inject = format!(
        "if (window.axe) return true;\n{}\n;return typeof window.axe === 'object';",
        shared.axe_source
    );
    let injected = expect(client.execute(&inject, vec![]).await, "inject axe-core");
    assert_eq!(injected, json!(true), "axe-core did not load in the page");
    let answer = expect(
        client.execute_async(AXE_RUN, vec![json!(AXE_TAGS)]).await,
        "run axe-core",
    );
    if let Some(error) = answer.get("error") {
        panic!("axe-core failed: {error}");
    }
    serde_json::from_value(answer["violations"].clone())
        .unwrap_or_else(|e| panic!("axe-core's answer is not as expected ({e}): {answer}"))
}

const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
  .then(results => done({ violations: results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : String(t)).join(', '),
      html: n.html,
      failureSummary: n.failureSummary || '',
    })),
  })) }))
  .catch(e => done({ error: String((e && e.stack) || e) }));
"#;

/// Panics listing every axe violation on the current page; `page` names
/// it in the message.
pub async fn assert_accessible(client: &Client, page: &str) {
    let violations = axe(client).await;
    if !violations.is_empty() {
        let url = current_url(client).await;
        let list: String = violations.iter().map(ToString::to_string).collect();
        panic!(
            "the page {page:?} ({url}) breaks {} accessibility rule(s):\n{list}",
            violations.len()
        );
    }
}

/// The rule ids of `violations`, sorted.
pub fn rule_ids(violations: &[Violation]) -> Vec<&str> {
    let mut ids: Vec<&str> = violations.iter().map(|v| v.id.as_str()).collect();
    ids.sort_unstable();
    ids
}
