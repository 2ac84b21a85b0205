using System.Diagnostics;
using System.Text;

namespace Ledger.EndToEnd;

/// <summary>What a finished ledger process left behind.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() =>
        $"exit code {ExitCode}{Environment.NewLine}--- stdout ---{Environment.NewLine}{Stdout}{Environment.NewLine}--- stderr ---{Environment.NewLine}{Stderr}";
}

/// <summary>Runs the built ledger.dll as a child process, as a user would, always with a timeout.</summary>
public static class LedgerCli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "ledger.dll");

    public static async Task<CliResult> RunAsync(IReadOnlyList<string> args, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Process.Start(StartInfo(args, environment)) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? DefaultTimeout;
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"ledger {string.Join(' ', args)} did not finish within {limit}:{Environment.NewLine}{new CliResult(-1, await stdout, await stderr)}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a process that keeps running (tail --follow, an import to kill); its output is collected line by line.</summary>
    public static BackgroundCli Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = new Process { StartInfo = StartInfo(args, environment) };
        return new BackgroundCli(process);
    }

    private static ProcessStartInfo StartInfo(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        if (!File.Exists(Dll))
        {
            throw new FileNotFoundException($"ledger.dll is not in the test output folder {AppContext.BaseDirectory}; build tests/Ledger.EndToEnd first", Dll);
        }

        var info = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The developer's own ledger settings must not leak into a test.
        info.Environment.Remove("LEDGER_STORE");
        info.Environment["LEDGER_ACTOR"] = "e2e-tests";
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}

/// <summary>A ledger process running in the background. Disposing it kills it if it still runs.</summary>
public sealed class BackgroundCli : IDisposable
{
    private readonly Process process;
    private readonly Lock gate = new();
    private readonly List<string> lines = [];
    private readonly StringBuilder errors = new();

    internal BackgroundCli(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (gate)
                {
                    lines.Add(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (gate)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => process.HasExited;

    /// <summary>The exit code once the process ends, or null if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (gate)
            {
                return [.. lines];
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (gate)
            {
                return errors.ToString();
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> lines arrived, the process ended, or the time is up.</summary>
    public async Task<IReadOnlyList<string>> WaitForLinesAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Lines.Count < count && !process.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return Lines;
    }

    /// <summary>
    /// Kills the process as soon as <paramref name="condition"/> holds; returns whether it was still running then.
    /// A dedicated thread polls, so a busy test host cannot delay the kill the way a late async continuation would.
    /// </summary>
    public Task<bool> KillWhenAsync(Func<bool> condition, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var poller = new Thread(() =>
        {
            try
            {
                var deadline = DateTime.UtcNow + timeout;
                while (!condition())
                {
                    if (process.HasExited || DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"the condition to kill the ledger process never held (exited: {process.HasExited}); stderr: {Stderr}");
                    }

                    Thread.Sleep(2);
                }

                done.SetResult(Kill());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "kill-when",
        };
        poller.Start();
        return done.Task;
    }

    /// <summary>Kills the process and everything it started; returns whether it was still running.</summary>
    public bool Kill()
    {
        var running = !process.HasExited;
        process.Kill(entireProcessTree: true);
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("the killed ledger process did not exit within 30 s");
        }

        return running;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            Kill();
        }

        process.Dispose();
    }
}
