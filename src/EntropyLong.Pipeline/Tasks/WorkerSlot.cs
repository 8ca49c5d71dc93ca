using EntropyLong.Core;

namespace EntropyLong.Pipeline.Tasks;

/// <summary>This worker's place among the workers sharing a task set: it owns the tasks t with t % World == Rank.</summary>
public readonly record struct WorkerSlot(int Rank, int World)
{
    /// <summary>Where the values came from, for logs ("--rank/--world", "SLURM_ARRAY_TASK_ID", ...).</summary>
    public string Source { get; init; } = "default";

    public bool Owns(int task) => task % World == Rank;

    public IEnumerable<int> Owned(int tasks) => Enumerable.Range(0, tasks).Where(Owns);

    /// <summary>Flags win; then a Slurm job array (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT),
    /// then torch-style RANK/WORLD_SIZE, then a Kubernetes indexed job (JOB_COMPLETION_INDEX, with the world from
    /// --world or WORLD_SIZE); with none of these a single worker owns everything.</summary>
    /// <exception cref="UserInputException">Values that are not numbers, or a rank outside [0, world).</exception>
    public static WorkerSlot Resolve(int? rank, int? world, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        int? Int(string name)
        {
            string? v = env(name);
            if (string.IsNullOrWhiteSpace(v)) return null;
            return int.TryParse(v, out int n) ? n : throw new UserInputException($"environment variable {name}='{v}' is not an integer");
        }
        WorkerSlot slot;
        if (rank is not null || world is not null)
            slot = new WorkerSlot(rank ?? 0, world ?? 1) { Source = "--rank/--world" };
        else if (Int("SLURM_ARRAY_TASK_ID") is { } id)
            slot = new WorkerSlot(id - (Int("SLURM_ARRAY_TASK_MIN") ?? 0),
                Int("SLURM_ARRAY_TASK_COUNT") ?? throw new UserInputException("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not"))
                { Source = "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT" };
        else if (Int("RANK") is { } r)
            slot = new WorkerSlot(r, Int("WORLD_SIZE") ?? throw new UserInputException("RANK is set but WORLD_SIZE is not")) { Source = "RANK/WORLD_SIZE" };
        else if (Int("JOB_COMPLETION_INDEX") is { } k)
            slot = new WorkerSlot(k, Int("WORLD_SIZE") ?? throw new UserInputException("JOB_COMPLETION_INDEX is set: give the number of completions with --world or WORLD_SIZE"))
                { Source = "JOB_COMPLETION_INDEX" };
        else
            slot = new WorkerSlot(0, 1);
        if (slot.World < 1 || slot.Rank < 0 || slot.Rank >= slot.World)
            throw new UserInputException($"rank {slot.Rank} of world {slot.World} (from {slot.Source}): need 0 <= rank < world");
        return slot;
    }

    public override string ToString() => $"rank {Rank} of {World} ({Source})";
}
