using System.Text;
using Ledger.Verification;

namespace Ledger.Server.Witnessing;

/// <summary>What a witness needs: its key, where it keeps its state, and the logs it witnesses (their verifier keys, named by origin).</summary>
public sealed record WitnessSettings(string KeyFile, string StateFile, IReadOnlyList<NoteVerifier> Logs, string Urls);

/// <summary>
/// <c>ledger witness serve</c>: a C2SP tlog-witness. <c>POST /add-checkpoint</c> cosigns checkpoints of the configured
/// logs that are consistent with the latest it cosigned; <c>GET /</c> gives its verifier key (text/plain).
/// </summary>
public static class WitnessServer
{
    /// <summary>The largest request read: 63 proof lines and a checkpoint with many signatures fit well within it.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    /// <exception cref="FormatException">The key file holds no witness key.</exception>
    public static async Task<WebApplication> BuildAsync(WitnessSettings settings, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var witness = LoadKey(settings.KeyFile);
        var state = await WitnessState.OpenAsync(settings.StateFile, cancellationToken);
        var builder = WebApplication.CreateSlimBuilder(["--urls", settings.Urls]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(witness);
        var app = builder.Build();
        var logs = settings.Logs.GroupBy(k => k.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyCollection<NoteVerifier>)[.. g], StringComparer.Ordinal);

        app.MapGet("/", () => Results.Text(witness.Verifier + "\n", AddCheckpointOutcome.TextType));
        app.MapPost("/add-checkpoint", async (HttpContext context, CancellationToken token) =>
        {
            var body = await ReadBodyAsync(context.Request, token);
            AddCheckpointRequest parsed;
            string origin;
            try
            {
                parsed = AddCheckpointRequest.Parse(body ?? throw new FormatException($"the request is larger than {MaxRequestBytes} bytes"));
                origin = AddCheckpoint.OriginOf(parsed);
            }
            catch (FormatException e)
            {
                await AnswerAsync(context, AddCheckpointOutcome.Refused(StatusCodes.Status400BadRequest, e.Message), token);
                return;
            }

            var keys = logs.GetValueOrDefault(origin) ?? [];
            var outcome = keys.Count == 0
                ? AddCheckpoint.Decide(parsed, keys, null, witness, clock.GetUtcNow())
                : await state.SubmitAsync(parsed, origin, keys, witness, clock.GetUtcNow(), token);
            if (outcome.Status != StatusCodes.Status200OK)
            {
                app.Logger.LogWarning("refused a checkpoint of {Origin}: {Status} {Why}", origin, outcome.Status, outcome.Body.TrimEnd());
            }

            await AnswerAsync(context, outcome, token);
        });
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            state.Dispose();
            witness.Dispose();
        });
        return app;
    }

    /// <exception cref="FormatException">The file holds no witness private key.</exception>
    public static WitnessSigner LoadKey(string path)
    {
        try
        {
            return WitnessSigner.Parse(File.ReadAllText(path).Trim());
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    // Written by hand: the 409 body's media type is exactly text/x.tlog.size, with no charset parameter added.
    private static async Task AnswerAsync(HttpContext context, AddCheckpointOutcome outcome, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = outcome.Status;
        context.Response.ContentType = outcome.ContentType;
        await context.Response.WriteAsync(outcome.Body, Encoding.UTF8, cancellationToken);
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxRequestBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
