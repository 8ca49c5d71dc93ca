using System.Text.Json;

namespace EntropyLong.Scale.Tests;

/// <summary>`build --word-entropy` (or `word_entropy` in a config file) reaches the method, the recorded configuration
/// and the dataset card.</summary>
[Collection("cli")]
public class WordEntropyTests(CliFixture cli)
{
    [Fact]
    public void TheFlagAndTheConfigKeyGiveTheSameWordAnchoredBuild()
    {
        string flag = cli.BuildWithFlagAndConfigKey("words", ["--word-entropy"], """{"word_entropy": true}""");

        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(flag, "config.json")));
        Assert.True(recorded.RootElement.GetProperty("options").GetProperty("word_entropy").GetBoolean());
        Assert.Contains("words (entropy summed over a word's tokens)", File.ReadAllText(Path.Combine(flag, "README.md")));
        // Other anchors than the token-level build's: the option changes what the method does.
        Assert.NotEqual(AnchorsOf(cli.Reference()), AnchorsOf(flag));
    }

    private static List<string> AnchorsOf(string build) =>
        File.ReadLines(Path.Combine(build, "details.jsonl")).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("anchors").EnumerateArray()
            .Select(a => $"{a.GetProperty("position").GetInt32()}:{a.GetProperty("entropy").GetDouble()}")).ToList();
}
