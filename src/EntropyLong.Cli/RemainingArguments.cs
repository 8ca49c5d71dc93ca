using Spectre.Console.Cli;

namespace EntropyLong.Cli;

/// <summary>Marks settings whose command passes the arguments after <c>--</c> on (to another command); any other
/// command refuses them.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class PassesArgumentsOnAttribute : Attribute;

/// <summary>Refuses arguments after <c>--</c> where the settings do not say <see cref="PassesArgumentsOnAttribute"/>:
/// Spectre keeps them aside for the command, which would ignore them silently.</summary>
internal sealed class RemainingArgumentsGuard : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (context.Remaining.Raw.Count > 0 && !settings.GetType().IsDefined(typeof(PassesArgumentsOnAttribute), inherit: true))
            throw new UsageException($"this command takes nothing after --, got: {string.Join(" ", context.Remaining.Raw)}");
    }
}
