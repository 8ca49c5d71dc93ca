using Spectre.Console.Cli;

namespace EntropyLong.Cli;

/// <summary>Marks settings whose command passes the arguments after <c>--</c> on (to another command); any other
/// command refuses them.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class PassesArgumentsOnAttribute : Attribute;

/// <summary>Refuses what Spectre accepts and the command would silently ignore: arguments after <c>--</c> where the
/// settings do not say <see cref="PassesArgumentsOnAttribute"/>, and a one-value option given twice in
/// <paramref name="args"/> (the command line the app runs).</summary>
internal sealed class CommandLineGuard(IReadOnlyList<string> args) : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (context.Remaining.Raw.Count > 0 && !settings.GetType().IsDefined(typeof(PassesArgumentsOnAttribute), inherit: true))
            throw new UsageException($"this command takes nothing after --, got: {string.Join(" ", context.Remaining.Raw)}");
        // The command tree is read by running the app (with no arguments): only a name given twice needs it.
        bool nameTwice = args.TakeWhile(a => a != "--").Where(a => a.StartsWith("--", StringComparison.Ordinal))
            .GroupBy(a => a.Split('=', ':')[0]).Any(g => g.Count() > 1);
        if (nameTwice && CommandLineCheck.RepeatedOption(CliCommand.App, args) is { } repeated) throw new UsageException(repeated);
    }
}
