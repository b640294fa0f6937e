package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin page in Debian's headless Chromium (chromium, chromium-driver; scripts/test.sh
 * installs them). Saves screenshots of the main screens to docs/screenshots/.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@DisplayName("The admin page in a real browser")
class AdminPageTest {

  private static TestHub hub;
  private static Api api;
  private static WebDriver browser;
  private static WebDriverWait wait;

  @BeforeAll
  static void start(Vertx vertx) throws Exception {
    hub = TestHub.start(AdminPageTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
    for (String binary : new String[] {"/usr/bin/chromium", "/usr/bin/chromedriver"}) {
      if (!Files.isExecutable(Path.of(binary))) {
        throw new IllegalStateException(binary + " is missing: run scripts/ensure-chromium.sh");
      }
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,800",
        "--user-data-dir=" + Files.createTempDirectory("herald-chromium"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    wait = new WebDriverWait(browser, Duration.ofSeconds(15));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    api.close();
    hub.close();
  }

  private static WebElement visible(String css) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  private static void textAppears(String css, String text) {
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(css), text));
  }

  /** Scrolls the element to the top of the window, then saves a screenshot. */
  private static void screenshot(String name, String scrollTo) throws Exception {
    ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", scrollTo);
    screenshot(name);
  }

  private static void screenshot(String name) throws Exception {
    Path dir = Path.of(System.getProperty("herald.screenshots", "../docs/screenshots"));
    Files.createDirectories(dir);
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static void type(String css, String text) {
    WebElement e = visible(css);
    e.clear();
    e.sendKeys(text);
  }

  @Test
  @DisplayName("sign in, edit and commit, history and diff, rollback, live rollout to 100 %, a rejected ack's error")
  void operatorJourney(Vertx vertx) throws Exception {
    String ns = "shop.prod";
    api.write(ns, "greeting", "hello", "limits/rps", 100);
    String base = "http://127.0.0.1:" + hub.port() + "/";
    browser.get(base);
    screenshot("sign-in");

    type("#token", "wrong-token");
    browser.findElement(By.cssSelector("#sign-in button")).click();
    textAppears("#status", "That token was not accepted");

    type("#token", TestHub.TOKEN);
    browser.findElement(By.cssSelector("#sign-in button")).click();
    visible("#namespace-list button[data-ns='" + ns + "']").click();
    textAppears("#detail-version", "Version 1");
    assertTrue(!browser.getCurrentUrl().contains(TestHub.TOKEN), "the token never shows in the page URL");

    // Invalid JSON is caught before anything is sent.
    browser.findElement(By.cssSelector("button[aria-label='Edit greeting']")).click();
    type("#edit-value", "bonjour");
    browser.findElement(By.id("commit")).click();
    textAppears("#edit-error", "Not valid JSON");
    assertEquals(1, api.json("/v1/namespaces/" + ns).getLong("version"));

    type("#edit-value", "\"bonjour\"");
    type("#edit-message", "say it in French");
    browser.findElement(By.id("commit")).click();
    // A dry run first: the diff preview, nothing committed until confirmed.
    textAppears("#preview-text", "It would become version 2");
    textAppears("#preview-table", "\"bonjour\"");
    assertEquals(1, api.json("/v1/namespaces/" + ns).getLong("version"));
    visible("#preview-confirm").click();
    textAppears("#detail-version", "Version 2");
    textAppears("#entries-table", "\"bonjour\"");
    textAppears("#history-table", "say it in French");
    assertEquals("bonjour", api.json("/v1/namespaces/" + ns).getJsonObject("entries").getString("greeting"));

    type("#diff-from", "1");
    type("#diff-to", "2");
    browser.findElement(By.cssSelector("#diff-form button")).click();
    textAppears("#diff-table", "greeting");
    String diff = browser.findElement(By.id("diff-table")).getText();
    assertTrue(diff.contains("changed") && diff.contains("\"hello\"") && diff.contains("\"bonjour\""), diff);
    screenshot("history-and-diff", "#history-title");

    // Someone else commits meanwhile: the page's edit is based on an older version.
    browser.findElement(By.cssSelector("button[aria-label='Edit greeting']")).click();
    api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/limits/rps", "200", Map.of());
    type("#edit-value", "\"salut\"");
    browser.findElement(By.id("commit")).click();
    textAppears("#conflict-text", "Version 3 was committed while you edited");
    browser.findElement(By.id("conflict-retry")).click();
    visible("#preview-confirm").click();
    textAppears("#detail-version", "Version 4");
    assertEquals("salut", api.json("/v1/namespaces/" + ns).getJsonObject("entries").getString("greeting"));

    // Roll back to version 1, confirming the dialog.
    browser.findElement(By.cssSelector("button[aria-label='Roll back to version 1']")).click();
    wait.until(ExpectedConditions.alertIsPresent()).accept();
    textAppears("#detail-version", "Version 5");
    JsonObject head = api.json("/v1/namespaces/" + ns);
    assertEquals("hello", head.getJsonObject("entries").getString("greeting"));
    assertEquals(100, head.getJsonObject("entries").getInteger("limits/rps"));
    textAppears("#entries-table", "\"hello\"");
    screenshot("entries", "header");

    // Live rollout: a client connects, and the bar moves to 100 % when it acks.
    try (WsClient client = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      client.hello("checkout-7f3", new JsonObject().put("app", "checkout"));
      client.subscribe(ns, 0);
      textAppears("#rollout-text", "0% applied");
      client.ack(ns, 5);
      textAppears("#rollout-text", "100% applied");
      wait.until(ExpectedConditions.attributeToBe(By.id("rollout-bar"), "aria-valuenow", "100"));
      textAppears("#client-table", "checkout-7f3");
      screenshot("rollout", "#rollout-title");

      long v6 = api.write(ns, "greeting", 42);
      client.apply(client.next("delta"));
      client.reject(ns, v6, "greeting must be a string");
      textAppears("#rollout-text", "Version 6");
      textAppears("#client-table", "greeting must be a string");
      textAppears("#rollout-text", "1 rejected");
    }

    // Create a namespace from the page.
    type("#new-ns", "Bad Name");
    type("#new-ns-key", "flag");
    type("#new-ns-value", "true");
    browser.findElement(By.cssSelector("#create-namespace button")).click();
    textAppears("#status", "Namespace names use lower-case letters");
    type("#new-ns", "search.prod");
    browser.findElement(By.cssSelector("#create-namespace button")).click();
    visible("#namespace-list button[data-ns='search.prod']");
    textAppears("#detail-title", "search.prod");
    assertEquals(true, api.json("/v1/namespaces/search.prod").getJsonObject("entries").getBoolean("flag"));

    // A narrow window still shows the namespace and its rollout.
    browser.manage().window().setSize(new Dimension(420, 900));
    assertTrue(visible("#rollout-bar").isDisplayed());
    screenshot("narrow", "header");
    browser.manage().window().setSize(new Dimension(1280, 800));

    browser.findElement(By.id("sign-out")).click();
    visible("#token");
  }

  @Test
  @DisplayName("a schema set from the page, an invalid edit refused at its key, a previewed edit and a file import")
  void schemaPreviewAndImport() throws Exception {
    String ns = "billing.prod";
    api.write(ns, "db/pool", 10, "mode", "fast");
    browser.get("http://127.0.0.1:" + hub.port() + "/");
    if (!browser.findElements(By.id("token")).isEmpty() && browser.findElement(By.id("token")).isDisplayed()) {
      type("#token", TestHub.TOKEN);
      browser.findElement(By.cssSelector("#sign-in button")).click();
    }
    visible("#namespace-list button[data-ns='" + ns + "']").click();
    textAppears("#detail-title", ns);
    textAppears("#schema-version", "No schema");

    // A schema the entries violate is refused, with the key marked.
    type("#schema-edit", "{\"type\":\"object\",\"properties\":{\"db/pool\":{\"type\":\"integer\",\"maximum\":5}}}");
    browser.findElement(By.id("schema-save")).click();
    textAppears("#schema-errors", "db/pool");
    assertEquals(404, api.get("/v1/namespaces/" + ns + "/schema").statusCode());
    type("#schema-edit", "{\"type\":\"object\",\"required\":[\"db/pool\"],"
        + "\"properties\":{\"db/pool\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100}}}");
    browser.findElement(By.id("schema-save")).click();
    textAppears("#schema-version", "Schema version 1");
    textAppears("#schema-history", "set");
    textAppears("#schema-text", "maximum");

    // An invalid edit: the dry run shows the error at the key and commits nothing.
    browser.findElement(By.cssSelector("button[aria-label='Edit db/pool']")).click();
    type("#edit-value", "500");
    browser.findElement(By.id("commit")).click();
    textAppears("#edit-error", "db/pool");
    textAppears("#entries-table tr.invalid", "db/pool");
    assertTrue(!visible("#preview").findElement(By.id("preview-confirm")).isDisplayed(), "no commit of an invalid state");
    assertEquals(1, api.json("/v1/namespaces/" + ns).getLong("version"));
    screenshot("schema-violation-at-key", "#entries-title");

    // A valid one: the preview shows the diff, and the commit happens on confirmation.
    type("#edit-value", "50");
    browser.findElement(By.id("commit")).click();
    textAppears("#preview-table", "50");
    screenshot("schema-and-preview", "#preview");
    visible("#preview-confirm").click();
    textAppears("#detail-version", "Version 2");
    assertEquals(50, api.json("/v1/namespaces/" + ns).getJsonObject("entries").getInteger("db/pool"));

    // A file import: previewed (mode deleted, region added), then committed as one revision.
    Path file = Files.createTempDirectory("herald-import").resolve("billing.properties");
    Files.writeString(file, "db/pool=60\nregion=eu\n");
    visible("#import-file").sendKeys(file.toAbsolutePath().toString());
    browser.findElement(By.id("import-preview")).click();
    textAppears("#preview-table", "region");
    textAppears("#preview-table", "removed");
    visible("#preview-confirm").click();
    textAppears("#detail-version", "Version 3");
    JsonObject entries = api.json("/v1/namespaces/" + ns).getJsonObject("entries");
    assertEquals(new JsonObject().put("db/pool", 60).put("region", "eu"), entries);
    browser.findElement(By.id("sign-out")).click();
    visible("#token");
  }

  /** Commits a new fee from the editor, released to the canaries first, and waits for the rollout to show. */
  private static void commitFee(String value, String rolloutText) {
    browser.findElement(By.cssSelector("button[aria-label='Edit fee']")).click();
    type("#edit-value", value);
    new org.openqa.selenium.support.ui.Select(visible("#edit-rollout")).selectByValue("canary");
    browser.findElement(By.id("commit")).click();
    visible("#preview-confirm").click(); // every edit is previewed first
    textAppears("#progressive-text", rolloutText);
  }

  @Test
  @DisplayName("start a change with a canary plan, watch the steps fill, see why it halted, abort with confirmation")
  void progressiveRollout(Vertx vertx) throws Exception {
    String ns = "pay.prod";
    api.write(ns, "fee", 1);
    browser.get("http://127.0.0.1:" + hub.port() + "/");
    type("#token", TestHub.TOKEN);
    browser.findElement(By.cssSelector("#sign-in button")).click();
    try (WsClient canary = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
         WsClient main = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      canary.hello("pay-canary-1", new JsonObject().put("ring", "canary"));
      canary.subscribe(ns, 0);
      main.hello("pay-main-1", new JsonObject().put("ring", "main"));
      main.subscribe(ns, 0);
      visible("#namespace-list button[data-ns='" + ns + "']").click();
      textAppears("#policy-text", "No rollout policy");

      commitFee("2", "Version 2 (stable 1): active, step 1 of 2");
      textAppears("#status", "rolling out, step 1 of 2");
      textAppears("#detail-version", "clients outside the released steps run version 1");
      assertEquals(2, canary.apply(canary.next("delta")).getLong("version"));
      canary.ack(ns, 2);
      assertEquals(2, main.apply(main.next("delta")).getLong("version"));
      textAppears("#progressive-text", "step 2 of 2");
      main.ack(ns, 2);
      textAppears("#progressive-text", "completed");

      commitFee("-5", "Version 3 (stable 2): active, step 1 of 2");
      canary.apply(canary.next("delta"));
      canary.reject(ns, 3, "fee must not be negative");
      textAppears("#halt-text", "pay-canary-1 rejected it: fee must not be negative");
      textAppears("#progressive-text", "halted");
      textAppears("#history-table", "rejected, halted");
      screenshot("progressive-rollout", "#progressive-title");
      assertTrue(main.poll(200) == null, "the held client got nothing");

      browser.findElement(By.id("rollout-abort")).click();
      wait.until(ExpectedConditions.alertIsPresent()).accept();
      textAppears("#progressive-text", "rolled_back");
      textAppears("#detail-version", "Version 4");
      textAppears("#history-table", "rolled back");
      assertEquals(2, api.json("/v1/namespaces/" + ns).getJsonObject("entries").getInteger("fee"));
      assertEquals(4, main.apply(main.next("delta")).getLong("version"));
    }
    browser.findElement(By.id("sign-out")).click();
    visible("#token");
  }
}
