namespace Ledger.Server.Auth;

/// <summary>RFC 9457 problem details, written the same way by every part of the API.</summary>
public static class Problems
{
    public static IResult Result(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    public static Task WriteAsync(HttpContext context, int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Result(status, title, detail, extensions).ExecuteAsync(context);
}
