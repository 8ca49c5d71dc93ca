using Microsoft.Playwright;

namespace EntropyLong.Report.Tests;

/// <summary>Headless Debian Chromium driven by Playwright (its own browser download is neither possible nor needed).
/// A page records every console error and page error so tests can assert there are none.</summary>
public sealed class Browser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;
    public IBrowser Instance { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} not found: install Debian's Chromium (apt-get install -y chromium); .ci/run does");
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task<(IPage Page, List<string> Errors)> Open(string path)
    {
        var page = await Instance.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => errors.Add($"page error: {e}");
        page.Dialog += async (_, d) => { errors.Add($"dialog: {d.Message}"); await d.DismissAsync(); };
        await page.GotoAsync(new Uri(Path.GetFullPath(path)).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        return (page, errors);
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null) await Instance.DisposeAsync();
        _playwright?.Dispose();
    }
}
