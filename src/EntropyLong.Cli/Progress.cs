using System.Diagnostics;
using Spectre.Console;

namespace EntropyLong.Cli;

/// <summary>The one progress display of every command. On a terminal: a Spectre bar per task with rate and remaining
/// time. Otherwise (a log file, a batch job): a plain, unwrapped line per task every 10 seconds and when a task ends,
/// with an ETA only once a rate has been measured. Nothing with --quiet. Tasks are named; a new name starts a new bar
/// (the stages of a command come one after another).</summary>
public abstract class Progress
{
    private protected readonly Lock Gate = new();

    /// <summary>Task <paramref name="task"/> is <paramref name="fraction"/> done (NaN: not known) and says <paramref name="status"/>.</summary>
    public abstract void Report(string task, double fraction, string status = "");

    /// <param name="lines">Whether to print the plain progress lines when stderr is not a terminal (off for a command
    /// that writes its own log lines, such as `train`).</param>
    public static T Run<T>(bool quiet, Func<Progress, T> work, bool lines = true)
    {
        if (quiet || (!Interactive && !lines)) return work(new Silent());
        if (!Interactive) return work(new Lines());
        var console = Console();
        return console.Progress().AutoClear(false).Columns(Columns()).Start(ctx => Shown(console, () => work(new Bars(ctx))));
    }

    public static void Run(bool quiet, Action<Progress> work, bool lines = true) => Run(quiet, p => { work(p); return 0; }, lines);

    public static async Task<T> RunAsync<T>(bool quiet, Func<Progress, Task<T>> work)
    {
        if (quiet) return await work(new Silent());
        if (!Interactive) return await work(new Lines());
        var console = Console();
        T result = default!;
        await console.Progress().AutoClear(false).Columns(Columns()).StartAsync(async ctx =>
        {
            _live = console;
            try { result = await work(new Bars(ctx)); }
            finally { _live = null; }
        });
        return result;
    }

    /// <summary>A plain line on stderr: messages are never wrapped or marked up, so logs can be grepped. While bars are
    /// shown, the line goes through their console, which keeps them drawn below it.</summary>
    public static void Say(string line)
    {
        if (_live is { } console) console.MarkupLine(Markup.Escape(line));
        else System.Console.Error.WriteLine(line);
    }

    private static IAnsiConsole? _live;

    private static T Shown<T>(IAnsiConsole console, Func<T> work)
    {
        _live = console;
        try { return work(); }
        finally { _live = null; }
    }

    private static bool Interactive => !System.Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    // Made on each use: Console.Error may be redirected between runs (in-process CLI tests).
    private static IAnsiConsole Console() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });

    private static ProgressColumn[] Columns() =>
        [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn()];

    private sealed class Silent : Progress
    {
        public override void Report(string task, double fraction, string status = "") { }
    }

    private sealed class Bars(ProgressContext context) : Progress
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new();

        public override void Report(string task, double fraction, string status = "")
        {
            lock (Gate)
            {
                if (!_tasks.TryGetValue(task, out var bar))
                {
                    foreach (var other in _tasks.Values.Where(t => !t.IsFinished))
                    {
                        if (other.IsIndeterminate) { other.IsIndeterminate = false; other.Value = other.MaxValue; }
                        other.StopTask();
                    }
                    _tasks[task] = bar = context.AddTask(Markup.Escape(task), maxValue: 1.0);
                }
                bar.IsIndeterminate = !double.IsFinite(fraction);
                if (double.IsFinite(fraction)) bar.Value = Math.Clamp(fraction, 0, 1);
                bar.Description = Markup.Escape(status.Length == 0 ? task : $"{task} {status}");
                if (fraction >= 1) bar.StopTask();
            }
        }
    }

    /// <summary>The plain lines, on a clock of their own (a test's, or wall time).</summary>
    internal sealed class Lines(Func<TimeSpan>? clock = null) : Progress
    {
        private readonly Func<TimeSpan> _clock = clock ?? WallClock();

        private static Func<TimeSpan> WallClock()
        {
            var watch = Stopwatch.StartNew();
            return () => watch.Elapsed;
        }

        private sealed class State(TimeSpan started)
        {
            public readonly TimeSpan Started = started;
            public TimeSpan LastLine = TimeSpan.MinValue;
            public (TimeSpan At, double Fraction)? First; // the first fraction seen: rates are measured from it
            public string? Ended; // the status said at 100%
        }

        private readonly Dictionary<string, State> _tasks = new();
        private string? _current;

        public override void Report(string task, double fraction, string status = "")
        {
            lock (Gate)
            {
                if (!_tasks.TryGetValue(task, out var s)) _tasks[task] = s = new State(_clock());
                var now = _clock() - s.Started;
                if (double.IsFinite(fraction)) s.First ??= (now, fraction);
                // The end is said, and said again when its counts change (a build packs its last sequence after
                // reading everything).
                bool ends = fraction >= 1 && s.Ended != status;
                if (task == _current && !ends && now - s.LastLine < TimeSpan.FromSeconds(10)) return;
                _current = task;
                s.LastLine = now;
                if (ends) s.Ended = status;
                string done = double.IsFinite(fraction) ? $" ({100 * Math.Clamp(fraction, 0, 1):F0}%{Eta(s, now, fraction)})" : "";
                Say($"[{now:hh\\:mm\\:ss}] {task}{(status.Length > 0 ? ": " + status : "")}{done}");
            }
        }

        // Only from a measured rate: the fraction gained since the first report over the time it took, at least 5 s.
        private static string Eta(State s, TimeSpan now, double fraction)
        {
            if (s.First is not var (at, first) || !(fraction > first) || fraction >= 1 || now - at < TimeSpan.FromSeconds(5)) return "";
            double rate = (fraction - first) / (now - at).TotalSeconds;
            return $", eta {TimeSpan.FromSeconds((1 - fraction) / rate):hh\\:mm\\:ss}";
        }
    }
}
