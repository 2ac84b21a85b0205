using Spectre.Console;

namespace Ledger.Cli.Output;

/// <summary>A progress bar on standard error, only when it is a terminal and the output is for people.</summary>
public static class ProgressBar
{
    public static async Task<T> RunAsync<T>(string label, int total, bool json, Func<IProgress<int>?, Task<T>> work)
    {
        if (json || Console.IsErrorRedirected || total == 0)
        {
            return await work(null);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, maxValue: total);
                var result = await work(new Progress<int>(done => task.Value = done));
                task.Value = total;
                return result;
            });
    }

    /// <summary>A bar for work that learns its total as it goes: it reports (done, total).</summary>
    public static async Task RunAsync(string label, bool json, Func<IProgress<(int Done, int Total)>?, Task> work)
    {
        if (json || Console.IsErrorRedirected)
        {
            await work(null);
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, maxValue: 1);
                await work(new Progress<(int Done, int Total)>(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                }));
                task.Value = task.MaxValue;
            });
    }
}
