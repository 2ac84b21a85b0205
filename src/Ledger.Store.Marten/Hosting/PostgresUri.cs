namespace Ledger.Store.Marten;

/// <summary>postgresql://user:password@host:port/database?key=value, as libpq accepts it, turned into an Npgsql connection string.</summary>
public static class PostgresUri
{
    public static string ToConnectionString(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
        {
            throw new InvalidStoreLocationException($"--store \"{uri}\" is not a postgresql://user@host:port/database URI");
        }

        var builder = new Npgsql.NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port < 0 ? 5432 : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : "postgres",
        };
        if (parsed.UserInfo.Length > 0)
        {
            var parts = parsed.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in parsed.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]) switch
            {
                "sslmode" => "SSL Mode",
                "application_name" => "Application Name",
                "connect_timeout" => "Timeout",
                var other => other,
            };
            builder[key] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
        }

        return builder.ConnectionString;
    }
}
