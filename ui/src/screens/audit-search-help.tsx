import type { ReactNode } from "react";

/** A short reminder of the search language (the full one is docs/audit-search.md). */
export function AuditSearchHelp(): ReactNode {
  return (
    <details className="audit-help">
      <summary>Search help</summary>
      <div className="audit-help-body">
        <p>
          Terms next to each other must all match. Use <code>OR</code>, parentheses, and <code>-</code> to
          exclude; quote values with spaces; <code>*</code> at the end of a value matches a prefix.
        </p>
        <dl className="details compact">
          <div>
            <dt>
              <code>event:</code>
            </dt>
            <dd>The category: authentication, package_access, token, user, audit…</dd>
          </div>
          <div>
            <dt>
              <code>action:</code>
            </dt>
            <dd>
              An action (<code>download</code>) or category.action (<code>token.created</code>,{" "}
              <code>token.*</code>)
            </dd>
          </div>
          <div>
            <dt>
              <code>actor:</code>
            </dt>
            <dd>Who: a token fingerprint, console, system, anonymous</dd>
          </div>
          <div>
            <dt>
              <code>ip:</code>
            </dt>
            <dd>An address or a CIDR block</dd>
          </div>
          <div>
            <dt>
              <code>package:</code> <code>version:</code> <code>repository:</code> <code>token:</code>
            </dt>
            <dd>What the event is about</dd>
          </div>
          <div>
            <dt>
              <code>severity:</code> <code>outcome:</code>
            </dt>
            <dd>info, warning, error; success, failure, denied</dd>
          </div>
          <div>
            <dt>
              <code>created:</code>
            </dt>
            <dd>
              A UTC day or range: <code>created:&gt;=2026-01-01</code>,{" "}
              <code>created:2026-03-01..2026-03-31</code>
            </dd>
          </div>
          <div>
            <dt>
              <code>request:</code>
            </dt>
            <dd>Every event of one HTTP request</dd>
          </div>
        </dl>
      </div>
    </details>
  );
}
