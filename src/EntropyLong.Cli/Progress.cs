using System.Diagnostics;
using Spectre.Console;

namespace EntropyLong.Cli;

/// <summary>A progress bar with rate and ETA on a terminal; plain periodic lines otherwise; nothing with --quiet.</summary>
public static class Progress
{
    public static T Run<T>(string title, bool quiet, Func<Action<double, string>, T> work)
    {
        if (quiet) return work((_, _) => { });
        if (!Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return err.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                    return work((fraction, status) =>
                    {
                        if (double.IsFinite(fraction)) task.Value = Math.Clamp(fraction, 0, 1);
                        task.Description = Markup.Escape($"{title} {status}");
                    });
                });
        }
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        return work((fraction, status) =>
        {
            if (clock.Elapsed - last < TimeSpan.FromSeconds(10) && fraction < 1) return;
            last = clock.Elapsed;
            string eta = fraction is > 0 and < 1 ? $", eta {TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds * (1 - fraction) / fraction):hh\\:mm\\:ss}" : "";
            Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {title} {(double.IsFinite(fraction) ? $"{fraction:P0} " : "")}{status}{eta}");
        });
    }
}
