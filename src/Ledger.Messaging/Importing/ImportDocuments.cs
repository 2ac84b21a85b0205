using Ledger.Importing;
using Ledger.Storage;

namespace Ledger.Messaging.Importing;

/// <summary>
/// Record disclosure documents, in order, each all-or-nothing. Sent in process: the documents may be validated
/// lazily while earlier ones are appended, and progress counts the documents appended.
/// </summary>
public sealed record ImportDocuments(IEnumerable<ImportDocument> Documents, IProgress<int>? Progress = null);

/// <summary>Load state, decide purely, append: per document, through <see cref="ImportPipeline"/>.</summary>
public static class ImportDocumentsHandler
{
    public static Task<ImportResult> Handle(ImportDocuments command, IEventStore store, TimeProvider clock, CancellationToken cancellationToken) =>
        new ImportPipeline(store, clock).HandleAsync(command.Documents, command.Progress, cancellationToken);
}
