using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;

namespace EntropyLong.Cli;

/// <summary>The values a numeric option accepts, e.g. <c>[OptionRange(1, 1_000_000)]</c>; on a text option, each
/// of its comma-separated whole numbers (<c>--ctx 256,1024</c>). Spectre checks it while binding, for every command,
/// so this attribute is all an option needs; the CLI tests fail for a numeric option without one. Bounds are
/// inclusive unless <see cref="MinExclusive"/> or <see cref="MaxExclusive"/> says otherwise.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class OptionRangeAttribute : ParameterValidationAttribute
{
    public OptionRangeAttribute(long min, long max) : base(string.Empty) => (Min, Max) = (min, max);

    public OptionRangeAttribute(ulong min, ulong max) : base(string.Empty) => (Min, Max) = (min, max);

    public OptionRangeAttribute(double min, double max) : base(string.Empty) => (Min, Max) = ((decimal)min, (decimal)max);

    public decimal Min { get; }
    public decimal Max { get; }
    public bool MinExclusive { get; init; }
    public bool MaxExclusive { get; init; }

    /// <summary>What the option expects: "a whole number between 1 and 1000000", "a number above 0 and at most 10".</summary>
    public string Describe(Type optionType) => optionType == typeof(string)
        ? $"comma-separated whole numbers {Bounds}"
        : $"{KindOf(optionType)} {Bounds}";

    private bool Contains(object value)
    {
        if (value is double or float)
        {
            double v = Convert.ToDouble(value, CultureInfo.InvariantCulture), min = (double)Min, max = (double)Max;
            return (MinExclusive ? v > min : v >= min) && (MaxExclusive ? v < max : v <= max); // false for NaN
        }
        decimal d = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
        return (MinExclusive ? d > Min : d >= Min) && (MaxExclusive ? d < Max : d <= Max);
    }

    /// <summary>The problem with a value given to <paramref name="option"/>, or null when it is in range.</summary>
    public string? Check(string option, object? value) => value switch
    {
        null => null,
        string list => list.Split(',').All(item => int.TryParse(item.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && Contains(n))
            ? null
            : $"{option} expects {Describe(typeof(string))}, got '{list}'",
        _ => Contains(value) ? null : Invariant($"{option} must be {Bounds} (got {value})"),
    };

    public override ValidationResult Validate(CommandParameterContext context) =>
        Check(NameOf(context.Parameter), context.Value) is { } problem ? ValidationResult.Error(problem) : ValidationResult.Success();

    /// <summary>The numbers of a list option this attribute has checked.</summary>
    public static int[] WholeNumbers(string list) =>
        list.Split(',').Select(item => int.Parse(item.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>What a user is told a value must be; never a .NET type name.</summary>
    public static string KindOf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}";
        return IsNumeric(type) ? "a whole number" : "text";
    }

    public static bool IsNumeric(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(decimal) || type.IsPrimitive && type != typeof(bool) && type != typeof(char) && type != typeof(nint) && type != typeof(nuint);
    }

    private string Bounds => MinExclusive || MaxExclusive
        ? Invariant($"{(MinExclusive ? "above" : "at least")} {Min} and {(MaxExclusive ? "below" : "at most")} {Max}")
        : Invariant($"between {Min} and {Max}");

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static string NameOf(ICommandParameterInfo parameter) => parameter switch
    {
        ICommandOption { LongNames.Count: > 0 } o => "--" + o.LongNames[0],
        ICommandOption o => "-" + o.ShortNames[0],
        ICommandArgument a => a.Value,
        _ => parameter.PropertyName,
    };
}

/// <summary>Bounds that options of several commands share.</summary>
internal static class OptionLimits
{
    /// <summary>CPU threads; 0 means one per core wherever a command takes threads.</summary>
    public const int Threads = 1024;
    /// <summary>The longest context, sequence or prompt, in tokens.</summary>
    public const int Tokens = 1 << 22;
    /// <summary>Shards, workers and array tasks.</summary>
    public const int Workers = 100_000;
    /// <summary>Candidates per query (top-k) and HNSW search beams.</summary>
    public const int Candidates = 10_000;
}
