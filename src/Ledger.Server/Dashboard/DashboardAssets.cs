using System.Security.Cryptography;
using System.Text;

namespace Ledger.Server.Dashboard;

/// <summary>The dashboard's stylesheet and script, compiled into the server: no CDN, no files to deploy, works offline.</summary>
public static class DashboardAssets
{
    public const string CssPath = "/_dashboard/dashboard.css";
    public const string ScriptPath = "/_dashboard/dashboard.js";

    public static IResult Serve(HttpContext http, string content, string contentType)
    {
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))[..16]}\"";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return http.Request.Headers.IfNoneMatch == etag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Text(content, contentType);
    }

    /// <summary>
    /// Live updates: listens to the server's event stream (GET /api/stream, Server-Sent Events with CloudEvents data)
    /// and, when an event concerns what the page shows, fetches the page again and swaps its main element. Without
    /// the stream (older server, proxy without SSE) the page simply stays as rendered.
    /// </summary>
    public const string Script = """
        (function () {
          "use strict";
          var body = document.body;
          var url = body.getAttribute("data-stream");
          var matter = body.getAttribute("data-matter") || null;
          var badge = document.getElementById("live");
          var timer = null;
          var updates = 0;

          function refresh() {
            timer = null;
            fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store", credentials: "same-origin" })
              .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
              .then(function (text) {
                var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("content");
                var main = document.getElementById("content");
                if (!fresh || !main) { return; }
                var open = Array.prototype.map.call(main.querySelectorAll("details[open]"), function (d) { return d.parentElement && d.parentElement.className; });
                var edits = editedFields(main);
                var focused = fieldKey(document.activeElement, main);
                var selection = null;
                try { selection = focused ? [document.activeElement.selectionStart, document.activeElement.selectionEnd] : null; } catch (e) { selection = null; }
                main.innerHTML = fresh.innerHTML;
                Array.prototype.forEach.call(main.querySelectorAll("details"), function (d) {
                  if (open.indexOf(d.parentElement && d.parentElement.className) >= 0) { d.open = true; }
                });
                restoreFields(main, edits, focused, selection);
                updates += 1;
                document.documentElement.setAttribute("data-updates", String(updates));
                if (badge) {
                  badge.textContent = "updated " + new Date().toLocaleTimeString();
                  badge.classList.add("flash");
                  window.setTimeout(function () { badge.classList.remove("flash"); }, 1500);
                }
              })
              .catch(function () { /* the next event tries again */ });
          }

          // A refresh must not undo what the reader is typing or choosing: edited fields keep their values and the
          // focused one its caret, matched by form action and field name.
          function fieldKey(field, main) {
            if (!field || !field.name || !field.form || !main.contains(field)) { return null; }
            return (field.form.getAttribute("action") || "") + "|" + field.name;
          }

          function edited(field) {
            if (field.type === "hidden") { return false; }
            if (field.tagName === "SELECT") {
              return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
            }
            return field.value !== field.defaultValue;
          }

          function editedFields(main) {
            var edits = {};
            Array.prototype.forEach.call(main.querySelectorAll("form input, form select, form textarea"), function (field) {
              var key = fieldKey(field, main);
              if (key && edited(field)) { edits[key] = field.value; }
            });
            return edits;
          }

          function restoreFields(main, edits, focused, selection) {
            Array.prototype.forEach.call(main.querySelectorAll("form input, form select, form textarea"), function (field) {
              var key = fieldKey(field, main);
              if (!key) { return; }
              if (Object.prototype.hasOwnProperty.call(edits, key)) { field.value = edits[key]; }
              if (key === focused) {
                field.focus();
                try { if (selection && selection[0] !== null) { field.setSelectionRange(selection[0], selection[1]); } } catch (e) { /* a field without a caret */ }
              }
            });
          }

          function schedule() {
            if (timer === null) { timer = window.setTimeout(refresh, 250); }
          }

          if (!url || typeof window.EventSource === "undefined") { return; }
          var source = new EventSource(url);
          source.onopen = function () {
            if (badge) { badge.hidden = false; badge.classList.remove("off"); }
          };
          source.onerror = function () {
            if (!badge) { return; }
            if (source.readyState === EventSource.CLOSED) { badge.hidden = true; } else { badge.classList.add("off"); }
          };
          source.onmessage = function (message) {
            var subject = null;
            try { subject = JSON.parse(message.data).subject || null; } catch (e) { subject = null; }
            if (matter && subject && subject !== matter) { return; }
            schedule();
          };
        })();
        """;

    public const string Css = """
        :root {
          --bg: #f6f7f9; --card: #ffffff; --ink: #1d2330; --muted: #667085; --line: #e3e6eb; --accent: #2f5bd3;
          --good: #1f7a4d; --good-bg: #e3f4ea; --warn: #9a5b00; --warn-bg: #fdf0d9; --bad: #b42318; --bad-bg: #fde7e5;
          --info-bg: #e8eefc; --grey-bg: #eef0f3;
          --mono: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
        }
        * { box-sizing: border-box; }
        html { font-size: 15px; }
        body { margin: 0; background: var(--bg); color: var(--ink); font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; line-height: 1.45; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        h1 { font-size: 1.6rem; margin: 0.1rem 0 0.3rem; font-weight: 650; }
        h2 { font-size: 1.05rem; margin: 0 0 0.8rem; font-weight: 650; letter-spacing: 0.01em; }
        h3 { font-size: 0.95rem; margin: 0.8rem 0 0.4rem; }
        .top { display: flex; align-items: center; gap: 1.2rem; padding: 0.7rem 2rem; background: #141a26; color: #fff; }
        .brand { color: #fff; font-weight: 700; font-size: 1.1rem; letter-spacing: 0.02em; }
        .brand:hover { text-decoration: none; }
        .logo { color: #8fb0ff; }
        .crumbs { display: flex; gap: 0.5rem; color: #aab3c5; font-size: 0.9rem; flex: 1; }
        .crumbs a { color: #d5defa; }
        .feed { color: #d5defa; font-size: 0.82rem; }
        .live { font-size: 0.78rem; padding: 0.15rem 0.55rem; border-radius: 999px; background: #1f7a4d; color: #fff; }
        .live::before { content: "● "; }
        .live.off { background: #667085; }
        .live.flash { background: #2f5bd3; }
        main { max-width: 1180px; margin: 0 auto; padding: 1.4rem 2rem 2rem; }
        .bottom { max-width: 1180px; margin: 0 auto; padding: 0 2rem 2rem; color: var(--muted); font-size: 0.8rem; }
        .page-head { display: flex; justify-content: space-between; align-items: flex-end; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; }
        .eyebrow { margin: 0; color: var(--muted); font-size: 0.85rem; }
        .muted { color: var(--muted); }
        .mono { font-family: var(--mono); font-size: 0.85em; }
        .nowrap { white-space: nowrap; }
        .num { text-align: right; }
        .card { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.3rem; margin-bottom: 1.1rem; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
        .columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.1rem; }
        .columns > .card { margin-bottom: 1.1rem; }
        @media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
        .grid-table { width: 100%; border-collapse: collapse; font-size: 0.92rem; }
        .grid-table th { text-align: left; font-weight: 600; color: var(--muted); font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.04em; border-bottom: 1px solid var(--line); padding: 0.4rem 0.6rem; }
        .grid-table td { border-bottom: 1px solid var(--line); padding: 0.55rem 0.6rem; vertical-align: top; }
        .grid-table tr:last-child td { border-bottom: none; }
        .matter-link { font-weight: 600; }
        .badge { display: inline-block; font-size: 0.76rem; font-weight: 600; padding: 0.12rem 0.5rem; border-radius: 999px; background: var(--grey-bg); color: var(--ink); white-space: nowrap; vertical-align: baseline; }
        .phase { text-transform: capitalize; }
        .phase-opened { background: var(--grey-bg); }
        .phase-reported { background: #fff1e0; color: #8a4b00; }
        .phase-under-review { background: var(--info-bg); color: #24449e; }
        .phase-findings-disclosed { background: #efe7fb; color: #5b2aa6; }
        .phase-action-taken { background: #e0f2f1; color: #0f6259; }
        .phase-concluded { background: var(--good-bg); color: var(--good); }
        .status-overdue { background: var(--bad); color: #fff; }
        .status-open { background: var(--info-bg); color: #24449e; }
        .status-delivered { background: var(--good-bg); color: var(--good); }
        .status-delivered-late { background: var(--warn-bg); color: var(--warn); }
        .status-withdrawn { background: var(--grey-bg); color: var(--muted); text-decoration: line-through; }
        .action { background: #e0f2f1; color: #0f6259; }
        .corrected { background: var(--warn-bg); color: var(--warn); }
        .archived { font-size: .9em; }
        .archived.missing a { color: var(--warn); }
        .assessment-substantiated, .assessment-partially-substantiated { background: var(--bad-bg); color: var(--bad); }
        .assessment-no-evidence, .assessment-unsubstantiated { background: var(--good-bg); color: var(--good); }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.45rem 1rem; margin: 0; }
        .facts dt { color: var(--muted); font-size: 0.85rem; }
        .facts dd { margin: 0; }
        .promise-row.promise-overdue td { background: #fff8f7; }
        .promises .what { min-width: 14rem; }
        .due { min-width: 7rem; overflow-wrap: anywhere; }
        .delivered.on-time { color: var(--good); }
        .delivered.late { color: var(--warn); }
        .promise-row.promise-overdue .due { color: var(--bad); font-weight: 600; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 0.8rem; margin-bottom: 1.1rem; }
        .tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 0.8rem 1rem; }
        .tile-value { font-size: 1.6rem; font-weight: 700; }
        .tile-label { color: var(--muted); font-size: 0.82rem; }
        .tile.good .tile-value { color: var(--good); }
        .tile.warn .tile-value { color: var(--warn); }
        .tile.bad { border-color: var(--bad); }
        .tile.bad .tile-value { color: var(--bad); }
        form.times, form.inline-form { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; font-size: 0.85rem; color: var(--muted); }
        form.inline-form { margin-bottom: 0.8rem; }
        input, select, button { font: inherit; font-size: 0.85rem; padding: 0.3rem 0.5rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--ink); }
        select { max-width: 360px; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        .notice { background: var(--warn-bg); color: var(--warn); border-radius: 8px; padding: 0.6rem 0.9rem; }
        .problem h1 { color: var(--bad); }
        .history { list-style: none; margin: 0; padding: 0; }
        .history-entry { border-top: 1px solid var(--line); padding: 0.9rem 0; }
        .entry-head { display: flex; gap: 0.6rem; align-items: baseline; flex-wrap: wrap; }
        .revision { font-family: var(--mono); font-weight: 700; color: var(--accent); }
        .recorded { margin-left: auto; font-size: 0.8rem; }
        .quote { margin: 0.5rem 0; padding: 0.2rem 0 0.2rem 0.9rem; border-left: 3px solid var(--line); color: #344054; }
        .changes { margin: 0.4rem 0 0; padding-left: 0; list-style: none; font-family: var(--mono); font-size: 0.82rem; }
        .change { padding: 0.12rem 0.5rem; border-radius: 4px; margin: 0.12rem 0; }
        .change::before { display: inline-block; width: 1.1em; font-weight: 700; }
        .change.added { background: #eefaf2; }
        .change.added::before { content: "+"; color: var(--good); }
        .change.removed { background: #fdf0ef; }
        .change.removed::before { content: "−"; color: var(--bad); }
        .change.changed { background: #f2f5fd; }
        .change.changed::before { content: "~"; color: var(--accent); }
        .comparison { border: 1px solid var(--line); border-radius: 8px; padding: 0.4rem 1rem 0.8rem; margin-bottom: 1rem; background: #fbfcfe; }
        .comparison summary { cursor: pointer; color: var(--muted); font-size: 0.85rem; margin-top: 0.6rem; }
        .patch .value { word-break: break-all; }
        .op-add { background: var(--good-bg); color: var(--good); }
        .op-remove { background: var(--bad-bg); color: var(--bad); }
        .op-replace { background: var(--info-bg); color: #24449e; }
        .word-diff { font-size: 1.02rem; line-height: 1.7; background: #fbfcfe; border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem 1rem; }
        ins { background: #d7f5e0; color: #0d5a32; text-decoration: none; border-bottom: 2px solid #3fb56b; padding: 0 1px; }
        del { background: #fbdcd9; color: #8c1d13; text-decoration: line-through; padding: 0 1px; }
        .ins-count { color: var(--good); font-weight: 600; }
        .del-count { color: var(--bad); font-weight: 600; }
        svg.timeline { display: block; max-width: 100%; height: auto; font-family: inherit; }
        svg.timeline .lane-label { font-size: 11px; fill: var(--muted); font-family: var(--mono); }
        svg.timeline .lane-rule { stroke: var(--line); stroke-width: 1; }
        svg.timeline .axis { stroke: #98a2b3; stroke-width: 1; }
        svg.timeline .grid { stroke: #eef0f3; stroke-width: 1; }
        svg.timeline .tick { font-size: 11px; fill: var(--muted); }
        svg.timeline .mark { stroke: #fff; stroke-width: 1.5; cursor: pointer; }
        svg.timeline .mark:hover { stroke: var(--ink); }
        svg.timeline .window { fill: #c9d6f8; }
        svg.timeline .overdue { fill: var(--bad); opacity: 0.85; }
        svg.timeline .promise-delivered .overdue { fill: #e0a23b; }
        svg.timeline .promise-withdrawn .window { fill: #dfe3e8; }
        svg.timeline .due { stroke: #24449e; stroke-width: 2; }
        svg.timeline .promised { fill: #24449e; }
        svg.timeline .delivered { fill: var(--good); stroke: #fff; stroke-width: 1; }
        svg.timeline .as-of { stroke: var(--ink); stroke-dasharray: 3 3; stroke-width: 1; }
        svg.timeline .as-of-label { font-size: 10px; fill: var(--ink); }
        .type-allegation-reported { fill: #e8590c; background: #e8590c; }
        .type-review-launched { fill: #2f5bd3; background: #2f5bd3; }
        .type-findings-disclosed { fill: #7c3aed; background: #7c3aed; }
        .type-action-taken { fill: #0f8f7e; background: #0f8f7e; }
        .type-disclosure-promised { fill: #d6336c; background: #d6336c; }
        .type-disclosure-delivered { fill: #2b8a3e; background: #2b8a3e; }
        .type-review-concluded { fill: #1d2330; background: #1d2330; }
        .type-position-stated { fill: #868e96; background: #868e96; }
        .type-statement-withdrawn { fill: #c92a2a; background: #c92a2a; }
        .type-entry-corrected { fill: #e0a23b; background: #e0a23b; }
        .badge.type { color: #fff; }
        .legend { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; font-size: 0.78rem; color: var(--muted); margin: 0.6rem 0 0; }
        .key { display: inline-flex; align-items: center; gap: 0.35rem; }
        .dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
        .bar { width: 22px; height: 8px; border-radius: 3px; display: inline-block; }
        .bar.window { background: #c9d6f8; }
        .bar.overdue { background: var(--bad); }
        .diamond { width: 9px; height: 9px; background: var(--good); transform: rotate(45deg); display: inline-block; }
        code { font-family: var(--mono); background: var(--grey-bg); padding: 0 0.3rem; border-radius: 4px; }
        """;
}
