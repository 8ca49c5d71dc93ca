using System.Reflection;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class VersionCommand : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellationToken)
    {
        // The package version, with the commit the build knew ("0.1.0+abc123…"); the assembly version pads it to four
        // parts ("0.1.0.0"), which no package or tag carries.
        var assembly = typeof(VersionCommand).Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version!.ToString(3);
        Console.WriteLine($"entropylong {version}");
        return 0;
    }
}
