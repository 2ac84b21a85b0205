using System.CommandLine;
using Ledger.Projections;
using Ledger.Querying;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.Verifying;
using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Cli;

/// <summary>What a command's action gets: its parse result, the backend and its opened store, the clock and the output mode.</summary>
public sealed record CommandContext(ParseResult Parse, LedgerBackend Backend, IEventStore Store, LedgerClock Clock, bool Json)
{
    public LedgerQueries Queries => new(Store);

    public T? Value<T>(Option<T> option) => Parse.GetValue(option);

    public T? Value<T>(Argument<T> argument) => Parse.GetValue(argument);
}

public static class CommandRunner
{
    /// <summary>Runs an action against the store named by --store, mapping failures to the documented exit codes.</summary>
    public static void SetStoreAction(this Command command, Func<CommandContext, CancellationToken, Task<int>> action, Func<ParseResult, string>? locate = null) =>
        command.SetAction((parse, cancellationToken) => RunWithStoreAsync(parse, action, cancellationToken, locate));

    /// <summary>Runs an action that opens no store (it may still locate the backend), with the same exit codes.</summary>
    public static void SetActionWithoutStore(this Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction((parse, cancellationToken) => RunAsync(() => action(parse, cancellationToken), cancellationToken));

    public static Task<int> RunWithStoreAsync(ParseResult parse, Func<CommandContext, CancellationToken, Task<int>> action, CancellationToken cancellationToken, Func<ParseResult, string>? locate = null) =>
        RunAsync(
            async () =>
            {
                var backend = StoreLocation.Backend(locate?.Invoke(parse) ?? StoreLocation.Resolve(parse.GetValue(CliOptions.Store)));
                var clock = StoreLocation.Clock();
                await using var store = await StoreLocation.OpenAsync(backend, cancellationToken);
                return await action(new CommandContext(parse, backend, store, clock, parse.GetValue(CliOptions.Json)), cancellationToken);
            },
            cancellationToken);

    public static async Task<int> RunAsync(Func<Task<int>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action();
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"ledger: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (StoreUnavailableException ex)
        {
            await Console.Error.WriteLineAsync($"ledger: the store failed: {ex.Message}");
            return ExitCodes.StoreFailure;
        }
        catch (LogKeyException ex)
        {
            await Console.Error.WriteLineAsync($"ledger: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is LogIntegrityException or StoreTamperedException)
        {
            await Console.Error.WriteLineAsync($"ledger: the Merkle log does not verify: {ex.Message}");
            return ExitCodes.VerificationFailed;
        }
        catch (Exception ex) when (ex is NotFoundException or HistoryPointException or ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync($"ledger: {UserMessages.Of(ex)}");
            return ExitCodes.InvalidInput;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"ledger: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException || ex.InnerException is System.Data.Common.DbException)
        {
            await Console.Error.WriteLineAsync($"ledger: the store failed: {ex.InnerException?.Message ?? ex.Message}");
            return ExitCodes.StoreFailure;
        }
        catch (StateOfAnotherLogException ex)
        {
            await Console.Error.WriteLineAsync($"ledger: the store failed: {ex.Message}");
            return ExitCodes.StoreFailure;
        }
        catch (ConcurrencyConflictException ex)
        {
            await Console.Error.WriteLineAsync($"ledger: conflict: {ex.Message}");
            return ExitCodes.Conflict;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }

    /// <summary>The query times of --as-of and --known-at, asked now.</summary>
    public static ReadTime ReadTime(this CommandContext context, Option<string?> asOf, Option<string?> knownAt)
    {
        var now = context.Clock.GetUtcNow();
        return CliOptions.TryResolveTimes(context.Value(asOf), context.Value(knownAt), now, out var a, out var k)
            ? new ReadTime(a, k, now)
            : throw new UsageException("see ledger --help for the time formats");
    }

    /// <exception cref="UsageException">The limit is out of range.</exception>
    public static int Limit(this CommandContext context, Option<int?> limit) =>
        (context.Value(limit) ?? Projections.ReadModels.PageCursor.DefaultLimit) is var size and >= 1 and <= Projections.ReadModels.PageCursor.MaxLimit
            ? size
            : throw new UsageException($"--limit must be between 1 and {Projections.ReadModels.PageCursor.MaxLimit}");

    public static (DateTimeOffset AsOf, DateTimeOffset? KnownAt) Times(this CommandContext context, Option<string?> asOf, Option<string?> knownAt) =>
        CliOptions.TryResolveTimes(context.Value(asOf), context.Value(knownAt), context.Clock.GetUtcNow(), out var a, out var k)
            ? (a, k)
            : throw new UsageException("see ledger --help for the time formats");
}
