using System.ComponentModel;
using System.Globalization;

namespace EntropyLong.Cli;

/// <summary>Says, in words a user can act on, what is wrong with a command line Spectre refused: an unknown command
/// or option (with the closest valid one), an option without its value, a value not of the option's kind or out of
/// its range. Spectre's own messages leave out the option ("Failed to convert 'abc' to Nullable`1") or the
/// suggestion, so the arguments are walked again here, the way Spectre tokenizes them.</summary>
internal static class CommandLineCheck
{
    /// <summary>The first problem in argument order, or null when there is none of these kinds.</summary>
    public static string? FirstProblem(CliCommand root, IReadOnlyList<string> args)
    {
        int i = 0;
        var command = FindCommand(root, args, ref i, out string? problem);
        if (command is null) return problem;
        for (int positional = 0; i < args.Count && args[i] != "--" && problem is null; i++)
            problem = IsOption(args[i]) ? CheckOption(command, args, ref i)
                : ++positional <= command.Arguments.Count || command.Arguments.Any(a => a.IsList) ? null
                : command.Arguments.Count == 0 ? $"{command.Name} takes no arguments (got '{args[i]}')"
                : $"{command.Name} takes {string.Join(" ", command.Arguments.Select(a => $"<{a.Attribute.ValueName}>"))}; '{args[i]}' is one too many";
        return problem;
    }

    /// <summary>An option that takes one value given more than once ("--out a --out b"), which Spectre accepts, the last
    /// value silently winning; null when there is none. Options that take a list are meant to repeat.</summary>
    public static string? RepeatedOption(CliCommand root, IReadOnlyList<string> args)
    {
        int i = 0;
        var command = FindCommand(root, args, ref i, out _);
        if (command is null) return null;
        var seen = new Dictionary<CliOption, string>();
        for (; i < args.Count && args[i] != "--"; i++)
        {
            if (!IsOption(args[i])) continue;
            var (isLong, name, inline) = Split(args[i]);
            var option = isLong ? Find(command, name, isLong: true) : null;
            if (option is null || option.IsFlag) continue;
            string value = inline ?? (i + 1 < args.Count ? args[++i] : "");
            if (option.Property.PropertyType.IsArray) continue;
            if (seen.TryGetValue(option, out string? first))
                return $"{option.Name} is given twice ('{first}' and '{value}'); it takes one value";
            seen[option] = value;
        }
        return null;
    }

    /// <summary>The command the leading words name (a branch's default command when the words stop at the branch);
    /// null with a problem for an unknown command, null without one where Spectre's help or message says enough.</summary>
    private static CliCommand? FindCommand(CliCommand root, IReadOnlyList<string> args, ref int i, out string? problem)
    {
        problem = null;
        var command = root;
        for (; i < args.Count && !IsOption(args[i]) && args[i] != "--"; i++)
        {
            string word = args[i];
            var child = command.Children.FirstOrDefault(c => !c.IsDefault && c.Path[^1] == word);
            if (child is null) break;
            command = child;
        }
        if (!command.IsBranch) return command;
        if (command.Children.FirstOrDefault(c => c.IsDefault) is { } fallback) return fallback;
        if (i < args.Count && !IsOption(args[i]) && args[i] != "--")
            problem = $"{command.Name} has no command '{args[i]}'" + (Closest(args[i], command.Children.Select(c => c.Path[^1])) is { } near
                ? $"; did you mean '{near}'?" : $" (see {command.Name} --help)");
        return null;
    }

    /// <summary>Checks the option at <paramref name="i"/>, moving past its value.</summary>
    private static string? CheckOption(CliCommand command, IReadOnlyList<string> args, ref int i)
    {
        string token = args[i];
        var (isLong, name, value) = Split(token);
        if (isLong ? name == "help" : name is "h" or "?") return null;
        if (!isLong && name.Length > 1) // grouped short flags, -ab
            return !name.All(char.IsLetter) ? $"{token}: a short option is one letter; its value goes after a space (-{name[0]} {name[1..]})"
                : name.Select(c => $"-{c}").FirstOrDefault(n => Find(command, n[1..], isLong: false) is null) is { } unknown ? Unknown(command, unknown) : null;

        var option = Find(command, name, isLong);
        if (option is null) return Unknown(command, (isLong ? "--" : "-") + name);
        if (option.IsFlag)
        {
            if (value is null && i + 1 < args.Count && bool.TryParse(args[i + 1], out _)) i++; // Spectre reads `--flag true`
            return value is null || bool.TryParse(value, out _) ? null : $"{option.Name} is a switch and takes no value (got '{value}')";
        }
        if (value is null)
        {
            if (i + 1 == args.Count || IsOption(args[i + 1]) || args[i + 1] == "--") return $"{option.Name} needs a value: {option.Expects}";
            value = args[++i];
        }
        object? converted;
        try
        {
            converted = TypeDescriptor.GetConverter(option.ValueType).ConvertFrom(null, CultureInfo.InvariantCulture, value);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return $"{option.Name} expects {option.Expects}, got '{value}'";
        }
        return option.Range?.Check(option.Name, converted);
    }

    /// <summary>"--name=value" (or ':') as Spectre reads it: long or short, the name, and the value given inline.</summary>
    private static (bool IsLong, string Name, string? Value) Split(string token)
    {
        bool isLong = token.StartsWith("--", StringComparison.Ordinal);
        string body = token[(isLong ? 2 : 1)..];
        int separator = body.IndexOfAny(['=', ':']);
        return (isLong, separator < 0 ? body : body[..separator], separator < 0 ? null : body[(separator + 1)..]);
    }

    private static string Unknown(CliCommand command, string typed) =>
        $"{command.Name} has no option {typed}" + (Closest(typed, command.Options.SelectMany(o => o.Names)) is { } near
            ? $"; did you mean {near}?" : $" (see {command.Name} --help)");

    /// <summary>The candidate nearest to what was typed (edit distance, ignoring case), when near enough to be
    /// the likely intent: at most a third of the typed length, and at least one character right.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string bare = typed.TrimStart('-').ToLowerInvariant();
        var best = candidates
            .Select(c => (Name: c, Distance: EditDistance(bare, c.TrimStart('-').ToLowerInvariant())))
            .OrderBy(c => c.Distance).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(1, bare.Length / 3) && best.Distance < bare.Length ? best.Name : null;
    }

    // Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours ("biuld") cost 1.
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    /// <summary>As Spectre tokenizes: a dash and a digit start a (negative) value, not an option.</summary>
    private static bool IsOption(string token) => token.Length > 1 && token[0] == '-' && !char.IsDigit(token[1]) && token != "--";

    private static CliOption? Find(CliCommand command, string name, bool isLong) =>
        command.Options.FirstOrDefault(o => (isLong ? o.Attribute.LongNames : o.Attribute.ShortNames).Contains(name));
}
