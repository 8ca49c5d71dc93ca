using System.Reflection;
using System.Xml.Linq;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli;

/// <summary>A command (or branch) as Spectre parses it, with the options of its settings type read the way Spectre
/// reads them. <see cref="Path"/> is what a user types: a branch's default command has its branch's path.</summary>
internal sealed record CliCommand(IReadOnlyList<string> Path, bool IsBranch, bool IsDefault, Type Settings, IReadOnlyList<CliCommand> Children)
{
    public IReadOnlyList<CliOption> Options { get; } = Settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => p.GetCustomAttribute<CommandOptionAttribute>() is { } a ? new CliOption(p, a) : null)
        .OfType<CliOption>().ToList();

    public IReadOnlyList<CliArgument> Arguments { get; } = Settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => p.GetCustomAttribute<CommandArgumentAttribute>() is { } a ? new CliArgument(p, a) : null)
        .OfType<CliArgument>().OrderBy(a => a.Attribute.Position).ToList();

    public string Name => Path.Count == 0 ? "entropylong" : string.Join(" ", Path);

    /// <summary>Every command that runs (no branches), this one included.</summary>
    public IEnumerable<CliCommand> Leaves() => IsBranch ? Children.SelectMany(c => c.Leaves()) : [this];

    /// <summary>The tree of the real app. Spectre keeps its command model internal; its hidden <c>cli xmldoc</c>
    /// command prints it, so the tree is read from there and cannot drift from what the parser uses.</summary>
    public static CliCommand App => Tree.Value;

    private static readonly Lazy<CliCommand> Tree = new(Load);

    private static CliCommand Load()
    {
        var xml = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(xml), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = int.MaxValue; // the XML is written as console text: a narrower console would wrap it
        var app = Program.Create([]);
        app.Configure(config => config.Settings.Console = console);
        if (app.Run(["cli", "xmldoc"]) != 0) throw new InvalidOperationException("cli xmldoc failed: " + xml);
        var root = XDocument.Parse(xml.ToString()).Root!;
        return new CliCommand([], true, false, typeof(EmptyCommandSettings), Read(root, []));
    }

    private static List<CliCommand> Read(XElement parent, IReadOnlyList<string> path) => parent.Elements("Command").Select(e =>
    {
        bool isDefault = (string)e.Attribute("Name")! == "__default_command";
        IReadOnlyList<string> own = isDefault ? path : [.. path, (string)e.Attribute("Name")!];
        string settings = (string)e.Attribute("Settings")!;
        var type = typeof(Program).Assembly.GetType(settings) ?? typeof(CommandSettings).Assembly.GetType(settings)
            ?? throw new InvalidOperationException($"settings type {settings} not found");
        return new CliCommand(own, (bool)e.Attribute("IsBranch")!, isDefault, type, Read(e, own));
    }).ToList();
}

internal sealed record CliOption(PropertyInfo Property, CommandOptionAttribute Attribute)
{
    /// <summary>How help and errors name it: the first long name, else the first short one.</summary>
    public string Name => Attribute.LongNames.Count > 0 ? "--" + Attribute.LongNames[0] : "-" + Attribute.ShortNames[0];

    public IEnumerable<string> Names => Attribute.LongNames.Select(n => "--" + n).Concat(Attribute.ShortNames.Select(n => "-" + n));

    public bool IsFlag => Property.PropertyType == typeof(bool) || Property.PropertyType == typeof(bool?);

    /// <summary>The type one value converts to (an array option takes one element per occurrence).</summary>
    public Type ValueType => Property.PropertyType.IsArray ? Property.PropertyType.GetElementType()! : Property.PropertyType;

    public OptionRangeAttribute? Range => Property.GetCustomAttribute<OptionRangeAttribute>();

    /// <summary>"a number between 0 and 100".</summary>
    public string Expects => Range?.Describe(ValueType) ?? OptionRangeAttribute.KindOf(ValueType);
}

internal sealed record CliArgument(PropertyInfo Property, CommandArgumentAttribute Attribute)
{
    /// <summary>Takes every remaining word (an array property).</summary>
    public bool IsList => Property.PropertyType.IsArray;
}
