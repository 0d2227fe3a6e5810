package io.crosstrain.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Drives the gateway's web UI in headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) as a user
 * would: log in with an API key, look at the cluster, submit a job through the form (first a rejected one, to see
 * the problem shown next to its field), follow it to SUCCEEDED and check that its loss and throughput charts were
 * drawn from the data and its plan shows a layout per datacenter. Screenshots go to the given folder. Every wait is
 * explicit and bounded.
 *
 * <p>Against a stack already running ({@code ./crosstrain up --port-base 28080}):
 * {@code java -cp <test class path> io.crosstrain.cli.WebUiCheck http://127.0.0.1:28080 <key> [steps]}.
 */
final class WebUiCheck implements AutoCloseable {

    /** What the browser saw. */
    record Result(UUID jobId, String finalState, int lossPoints, int throughputBars, int busyBars, int planRows,
                  int layoutRows, String layoutStages, int emulatedTags, int apiRequests, int apiRequestsWithKey,
                  String rejectedStepsMessage, boolean loggedOutOn401, UUID cancelledJobId, String cancelledState,
                  List<Path> screenshots) {
    }

    private static final Pattern JOB_URL = Pattern.compile("#/jobs/([0-9a-f-]{36})");
    private static final Duration SHORT = Duration.ofSeconds(30);

    private final String base;
    private final Path screenshotDir;
    private final PrintStream out;
    private final ChromeDriver driver;
    private final List<Path> screenshots = new ArrayList<>();
    private final JsonMapper mapper = JsonMapper.builder().build();

    WebUiCheck(String base, Path screenshotDir, PrintStream out) throws IOException {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.screenshotDir = screenshotDir;
        this.out = out;
        Files.createDirectories(screenshotDir);
        this.driver = startBrowser();
    }

    /** Chromium and its driver from Debian, never downloaded: both paths are given so Selenium Manager stays idle. */
    static ChromeDriver startBrowser() {
        String browser = System.getenv().getOrDefault("CHROMIUM_BIN", "/usr/bin/chromium");
        String chromedriver = System.getenv().getOrDefault("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1800", "--lang=en-GB");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of(chromedriver).toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    Result run(String apiKey, String jobName, int steps, Duration jobTimeout) throws IOException {
        List<JsonNode> network = new ArrayList<>();

        // a key the gateway does not know: its 401 keeps the page on the login form and the key is not kept
        driver.get(base + "/#/login");
        WebElement key = waitFor(By.id("api-key"), SHORT);
        screenshot("login");
        key.sendKeys("ctk_this-key-was-never-issued");
        driver.findElement(By.id("login-submit")).click();
        until(SHORT).until(ExpectedConditions.textMatches(By.id("login-message"), Pattern.compile("401")));
        boolean loggedOut = js().executeScript("return sessionStorage.getItem('crosstrain.apiKey')") == null;
        screenshot("login-after-401");
        requests(); // the performance log hands out each entry once: the wrong key's requests are not counted below

        // login: the key is kept in sessionStorage and sent as a bearer token from now on
        key = waitFor(By.id("api-key"), SHORT);
        key.clear();
        key.sendKeys(apiKey);
        driver.findElement(By.id("login-submit")).click();

        // cluster: datacenters, devices by chip, health
        waitFor(By.id("cluster-page"), SHORT);
        until(SHORT).until(d -> d.findElements(By.cssSelector("[data-testid=device-row]"))
                .size() > 0);
        Object stored = js().executeScript("return sessionStorage.getItem('crosstrain.apiKey')");
        if (!apiKey.equals(stored)) {
            throw new AssertionError("the key is not in sessionStorage: " + stored);
        }
        int datacenters = driver.findElements(By.cssSelector("[data-testid=datacenter]")).size();
        int devices = driver.findElements(By.cssSelector("[data-testid=device-row]")).size();
        out.println("  web UI: cluster page shows " + datacenters + " datacenters, " + devices + " devices");
        screenshot("cluster");

        // a rejected submit: the problem's field error appears next to the field
        driver.get(base + "/#/submit");
        waitFor(By.id("submit-form"), SHORT);
        setValue("f-name", jobName);
        setValue("f-steps", "0");
        driver.findElement(By.id("submit-job")).click();
        WebElement stepsError = until(SHORT).until(d -> {
            WebElement e = d.findElement(By.cssSelector("[data-testid='error-steps']"));
            return e.getText().isBlank() ? null : e;
        });
        String rejected = stepsError.getText();
        if (!driver.findElement(By.id("submit-errors")).isDisplayed()) {
            throw new AssertionError("the problem summary is not shown");
        }
        screenshot("submit-rejected");

        // the real submit
        setValue("f-steps", String.valueOf(steps));
        driver.findElement(By.id("submit-job")).click();
        until(SHORT).until(d -> JOB_URL.matcher(d.getCurrentUrl()).find());
        Matcher m = JOB_URL.matcher(driver.getCurrentUrl());
        m.find();
        UUID jobId = UUID.fromString(m.group(1));
        out.println("  web UI: submitted job " + jobId + " through the form (" + steps + " steps)");

        // the job page follows it live until it ends
        waitFor(By.id("job-page"), SHORT);
        String state = until(jobTimeout).until(d -> {
            List<WebElement> badge = d.findElements(By.id("job-state"));
            String s = badge.isEmpty() ? "" : badge.get(0).getAttribute("data-state");
            return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(s) ? s : null;
        });
        if (!"SUCCEEDED".equals(state)) {
            screenshot("job-failed");
            throw new AssertionError("job " + jobId + " ended " + state + ": "
                    + driver.findElement(By.id("job-reason")).getText());
        }
        // the last refresh after the end draws every step and the report's devices
        int lossPoints = until(SHORT).until(d -> {
            int n = attrInt(By.id("loss-path"), "data-points");
            return n >= steps ? n : null;
        });
        int bars = until(SHORT).until(d -> {
            int n = d.findElements(By.cssSelector("#throughput-chart rect[data-testid=throughput-bar]")).size();
            return n > 0 ? n : null;
        });
        int busyBars = driver.findElements(By.cssSelector("#busy-chart rect[data-testid=busy-bar]")).size();
        String path = driver.findElement(By.id("loss-path")).getAttribute("d");
        int vertices = path == null ? 0 : path.split("[ML]").length - 1;
        if (vertices != lossPoints) {
            throw new AssertionError("loss path has " + vertices + " vertices but says " + lossPoints);
        }
        int planRows = until(SHORT).until(d -> {
            int n = d.findElements(By.cssSelector("[data-testid=plan-row]")).size();
            return n > 0 ? n : null;
        });
        // the plan's layout: a summary row per datacenter, its stages per replica ("whole replicas" when 1)
        int layoutRows = until(SHORT).until(d -> {
            int n = d.findElements(By.cssSelector("[data-testid=layout-row]")).size();
            return n > 0 ? n : null;
        });
        String[] layout = until(SHORT).until(d -> {
            WebElement row = d.findElement(By.cssSelector("[data-testid=layout-row]"));
            String stages = row.findElement(By.cssSelector("[data-testid=layout-stages]")).getText().strip();
            return stages.isEmpty() ? null : new String[] {row.getAttribute("data-datacenter"), stages};
        });
        until(SHORT).until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("[data-testid=history-row][data-to=SUCCEEDED]")));
        int emulatedTags = driver.findElements(By.cssSelector(".mode-emulated")).size();
        String eta = driver.findElement(By.id("eta")).getText();
        out.println("  web UI: job page shows SUCCEEDED, loss curve with " + lossPoints + " points, "
                + bars + " throughput bars, " + planRows + " plan rows, " + layoutRows + " datacenter layouts ("
                + layout[0] + ": " + layout[1] + "), eta " + eta + ", " + emulatedTags + " 'emulated' tags");
        screenshot("job");

        // the jobs list shows the same end state and a full progress bar
        driver.get(base + "/#/jobs");
        until(SHORT).until(ExpectedConditions.attributeToBe(
                By.id("job-row-" + jobId), "data-state", "SUCCEEDED"));
        String progress = driver.findElement(By.cssSelector("#job-row-" + jobId + " [data-testid=progress]"))
                .getAttribute("aria-valuenow");
        if (!String.valueOf(steps).equals(progress)) {
            throw new AssertionError("jobs list progress " + progress + " of " + steps);
        }
        screenshot("jobs");

        // every /api request the page made carried the key
        network.addAll(requests());
        int api = 0;
        int withKey = 0;
        for (JsonNode request : network) {
            String url = request.path("url").asString();
            if (url.startsWith(base + "/api/")) {
                api++;
                JsonNode headers = request.path("headers");
                String auth = headers.path("Authorization").asString(headers.path("authorization").asString(""));
                if (("Bearer " + apiKey).equals(auth)) {
                    withKey++;
                }
            }
        }

        // a long job submitted through the form and cancelled from its page: it stops after one more round
        driver.get(base + "/#/submit");
        waitFor(By.id("submit-form"), SHORT);
        setValue("f-name", jobName + "-cancel");
        setValue("f-steps", "2000");
        driver.findElement(By.id("submit-job")).click();
        until(SHORT).until(d -> JOB_URL.matcher(d.getCurrentUrl()).find()
                && !d.getCurrentUrl().contains(jobId.toString()));
        Matcher c = JOB_URL.matcher(driver.getCurrentUrl());
        c.find();
        UUID cancelled = UUID.fromString(c.group(1));
        waitFor(By.id("job-page"), SHORT);
        until(jobTimeout).until(ExpectedConditions.attributeToBe(By.id("job-state"), "data-state", "RUNNING"));
        until(SHORT).until(ExpectedConditions.elementToBeClickable(By.id("cancel-job"))).click();
        until(SHORT).until(ExpectedConditions.alertIsPresent()).accept();
        String cancelledState = until(Duration.ofMinutes(3)).until(d -> {
            List<WebElement> badge = d.findElements(By.id("job-state"));
            String st = badge.isEmpty() ? "" : badge.get(0).getAttribute("data-state");
            return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(st) ? st : null;
        });
        screenshot("job-cancelled");
        out.println("  web UI: job " + cancelled + " cancelled from its page: " + cancelledState);
        return new Result(jobId, state, lossPoints, bars, busyBars, planRows, layoutRows, layout[1], emulatedTags,
                api, withKey, rejected, loggedOut, cancelled, cancelledState, List.copyOf(screenshots));
    }

    /** The requests Chromium sent so far, from its performance log (Network.requestWillBeSent). */
    private List<JsonNode> requests() {
        List<JsonNode> list = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE)) {
            JsonNode message = mapper.readTree(entry.getMessage()).path("message");
            if ("Network.requestWillBeSent".equals(message.path("method").asString())) {
                list.add(message.path("params").path("request"));
            }
        }
        return list;
    }

    private WebElement waitFor(By by, Duration timeout) {
        return until(timeout).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** A wait that polls twice a second and reads past elements the page re-rendered meanwhile. */
    /**
     * Logs in, opens a finished job's page and asks its "Try the model" box for text, as a user would.
     *
     * @return the text the page showed
     */
    String tryTheModel(String apiKey, UUID jobId, String prompt) throws IOException {
        driver.get(base + "/#/login");
        WebElement key = waitFor(By.id("api-key"), SHORT);
        key.clear();
        key.sendKeys(apiKey);
        driver.findElement(By.id("login-submit")).click();
        until(SHORT).until(d -> !d.getCurrentUrl().contains("#/login"));
        driver.get(base + "/#/jobs/" + jobId);
        WebElement box = waitFor(By.cssSelector("[data-testid=generate-prompt]"), SHORT);
        box.clear();
        box.sendKeys(prompt);
        // enabled once the page has found the job's newest checkpoint
        WebElement button = until(SHORT).until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("[data-testid=generate-button]")));
        button.click();
        String text = until(Duration.ofMinutes(2)).until(d -> {
            String t = d.findElement(By.cssSelector("[data-testid=generate-output]")).getText();
            return t == null || t.isBlank() ? null : t;
        });
        screenshot("try-the-model");
        return text;
    }

    private WebDriverWait until(Duration timeout) {
        WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(500));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private int attrInt(By by, String attribute) {
        List<WebElement> found = driver.findElements(by);
        if (found.isEmpty()) {
            return 0;
        }
        String v = found.get(0).getAttribute(attribute);
        return v == null || v.isBlank() ? 0 : Integer.parseInt(v);
    }

    private void setValue(String id, String value) {
        WebElement input = driver.findElement(By.id(id));
        input.clear();
        input.sendKeys(value);
    }

    private JavascriptExecutor js() {
        return driver;
    }

    private void screenshot(String name) throws IOException {
        Path file = screenshotDir.resolve(name + ".png");
        Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
        // a full-page shot: grow the window to the page's height first
        Object height = js().executeScript("return Math.max(document.body.scrollHeight, 900)");
        if (height instanceof Number n && n.intValue() > 1800) {
            driver.manage().window().setSize(new org.openqa.selenium.Dimension(1400, Math.min(n.intValue(), 6000)));
            shot = driver.getScreenshotAs(OutputType.FILE).toPath();
            driver.manage().window().setSize(new org.openqa.selenium.Dimension(1400, 1800));
        }
        Files.copy(shot, file, StandardCopyOption.REPLACE_EXISTING);
        screenshots.add(file);
    }

    /** The browser's console, for a failure message. */
    String console() {
        StringBuilder b = new StringBuilder();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            b.append(e.getLevel()).append(' ').append(e.getMessage()).append('\n');
        }
        return b.toString();
    }

    WebDriver driver() {
        return driver;
    }

    @Override
    public void close() {
        driver.quit();
    }

    public static void main(String[] args) throws Exception {
        String base = args.length > 0 ? args[0] : "http://127.0.0.1:28080";
        String key = args.length > 1 ? args[1] : "ct-dev-key";
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        try (WebUiCheck check = new WebUiCheck(base, Path.of("cli/target/screenshots"), System.out)) {
            try {
                System.out.println(check.run(key, "web-ui-check", steps, Duration.ofMinutes(10)));
            } catch (RuntimeException | AssertionError e) {
                System.out.println(check.console());
                throw e;
            }
        }
    }
}
