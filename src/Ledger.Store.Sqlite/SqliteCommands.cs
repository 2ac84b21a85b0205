using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

internal static class SqliteCommands
{
    /// <summary>A command kept for many executions: its text and its named parameters, whose values each execution sets.</summary>
    public static SqliteCommand Prepare(this SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}
