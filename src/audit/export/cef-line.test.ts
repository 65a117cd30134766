import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DDE_PAYLOAD,
  download,
  exampleEvents,
  hostile,
  settingChanged,
  tokenRevoked,
} from "../../../test/builders/audit-event-examples.ts";
import type { AuditEvent } from "../audit-event.ts";
import { cefExtension, cefExtensionValue, cefHeaderField, cefSeverity, toCef } from "./cef-line.ts";
import { packageBrokerProduct, type ProductInfo } from "./product-info.ts";

const product = packageBrokerProduct("1.4.2", "broker.example.com");

/** A CEF reader: 7 header fields split on unescaped `|`, then `key=value` pairs split on unescaped `=`. */
function parseCef(line: string): { header: string[]; extension: Map<string, string> } {
  expect(line.endsWith("\n")).toBe(true);
  const body = line.slice(0, -1);
  const header: string[] = [];
  let field = "";
  let i = 0;
  while (header.length < 7) {
    const c = body.charAt(i);
    if (c === "\\" && (body.charAt(i + 1) === "|" || body.charAt(i + 1) === "\\")) {
      // The header knows two escapes only; any other backslash is itself.
      field += body.charAt(i + 1);
      i += 2;
    } else if (c === "|") {
      header.push(field);
      field = "";
      i += 1;
    } else if (c === "") {
      throw new Error("header ends early");
    } else {
      field += c;
      i += 1;
    }
  }
  // Tokenise: an unescaped `=` ends a key, which is the last word before it.
  const rest = body.slice(i);
  const extension = new Map<string, string>();
  const pattern = /(?:^| )([A-Za-z0-9]+)=((?:\\.|[^\\=])*?)(?= [A-Za-z0-9]+=|$)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(rest)) !== null) {
    extension.set(match[1]!, unescapeValue(match[2]!));
    consumed = pattern.lastIndex;
  }
  expect(consumed).toBe(rest.length);
  return { header, extension };
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : c));
}

/** What a reader gets back for a raw value: line breaks are normalised, other controls replaced. */
function afterCef(value: string): string {
  return (
    value
      .replace(/\r\n?|[\n\u0085\u2028\u2029]/g, (c) => (c === "\r" ? "\r" : c === "\r\n" ? "\r\n" : "\n"))
      // eslint-disable-next-line no-control-regex -- the characters CEF cannot carry
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g, "\ufffd")
  );
}

describe("toCef", () => {
  it("writes a download (golden)", () => {
    expect(toCef(download, product)).toBe(
      "CEF:0|PACKAGE.broker|package-broker|1.4.2|package_access.download|package_access download|3|" +
        "rt=1772356364512 externalId=01KB3V9Q8G7J5YF3Q2M1T6W0XZ cn1Label=seq cn1=1042 cat=package_access act=download " +
        "outcome=success flexString1Label=auditOutcome flexString1=success suser=pb_Ab3d…x9Yz " +
        "flexString2Label=actor flexString2=token/basic src=203.0.113.7 " +
        "requestClientApplication=Composer/2.5.5 (Linux; 6.1; PHP 8.2.7; cURL 7.88.1) " +
        "cs1Label=requestId cs1=req_01KB3V9Q8D0000000000000003 cs2Label=targetType cs2=package " +
        "cs4Label=targetName cs4=acme/widgets cs5Label=targetVersion cs5=1.2.0.0 " +
        'msg={"status":200,"reference":"3f786850e387550fdab836ed7e6dc881de23001b"} dvchost=broker.example.com\n',
    );
  });

  it("writes a refusal from an IPv6 client as a failure, the refusal kept (golden)", () => {
    expect(toCef(tokenRevoked, packageBrokerProduct("1.4.2"))).toBe(
      "CEF:0|PACKAGE.broker|package-broker|1.4.2|authentication.token_revoked|authentication token revoked|6|" +
        "rt=1772356362250 externalId=01KB3V9Q8G7J5YF3Q2M1T6W0XB cn1Label=seq cn1=1041 cat=authentication " +
        "act=token_revoked outcome=failure flexString1Label=auditOutcome flexString1=denied suser=pb_Ab3d…x9Yz " +
        "flexString2Label=actor flexString2=token/basic c6a2Label=sourceIPv6Address c6a2=2001:db8::17 " +
        "requestClientApplication=Composer/2.8.4 (Linux; 6.8.0; PHP 8.3.6; cURL 8.5.0) " +
        "cs1Label=requestId cs1=req_01KB3V9Q8D0000000000000002 reason=The token was revoked " +
        'msg={"code":"TokenRevoked","reason":"The token was revoked"}\n',
    );
  });

  it("writes a setting change with before/after (golden)", () => {
    expect(toCef(settingChanged, packageBrokerProduct("1.4.2"))).toBe(
      "CEF:0|PACKAGE.broker|package-broker|1.4.2|configuration.setting_changed|configuration setting changed|6|" +
        "rt=1772356500000 externalId=01KB3V9Q8G7J5YF3Q2M1T6W0Y0 cn1Label=seq cn1=1043 cat=configuration " +
        "act=setting_changed outcome=success flexString1Label=auditOutcome flexString1=success suser=system " +
        "flexString2Label=actor flexString2=system/none cs2Label=targetType cs2=setting " +
        'cs4Label=targetName cs4=PB_AUDIT_IP_MODE msg={"before":"full","after":"truncate"}\n',
    );
  });

  it("escapes the hostile event: one line, seven header fields, every value read back", () => {
    const line = toCef(hostile, product);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(line).not.toMatch(/[\r\u2028\u2029]/);
    const { header, extension } = parseCef(line);
    expect(header).toEqual([
      "CEF:0",
      "PACKAGE.broker",
      "package-broker",
      "1.4.2",
      "package_access.download_denied",
      "package_access download denied",
      "6",
    ]);
    expect(extension.get("requestClientApplication")).toBe(afterCef(hostile.user_agent!));
    expect(extension.get("requestClientApplication")).toContain(DDE_PAYLOAD);
    expect(extension.get("suser")).toBe(hostile.user);
    expect(extension.get("cs1")).toBe(hostile.request_id);
    expect(extension.get("cs4")).toBe(hostile.target!.name);
    expect(extension.get("cs5")).toBe(hostile.target!.version);
    expect(extension.get("cs6Label")).toBe("clientAddress");
    expect(extension.get("cs6")).toBe(hostile.ip_address);
    expect(extension.has("src")).toBe(false);
    expect(extension.get("reason")).toBe(afterCef(hostile.details.reason as string));
    expect(JSON.parse(extension.get("msg")!)).toEqual(hostile.details);
    expect(extension.get("outcome")).toBe("failure");
    expect(extension.get("flexString1")).toBe("denied");
  });

  it("escapes header fields: a hostile product or action cannot add fields or lines", () => {
    const evil: ProductInfo = { vendor: "A|B\\C", product: "x\r\ny", version: "1|2" };
    const event = { ...download, action: "a|b=c\\d\ne" } as AuditEvent;
    const line = toCef(event, evil);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(line.startsWith("CEF:0|A\\|B\\\\C|x\\r\\ny|1\\|2|package_access.a\\|b=c\\\\d\\ne|")).toBe(true);
    const { header, extension } = parseCef(line);
    expect(header.slice(1, 5)).toEqual(["A|B\\C", "x\\r\\ny", "1|2", "package_access.a|b=c\\d\\ne"]);
    expect(extension.get("act")).toBe("a|b=c\\d\ne");
  });

  it("reads back any string in any extension value, on one line (property)", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom("=", "\\", "|", " ", "\r", "\n", "\u2028", "a", "k", "n", "🎉") }),
    );
    fc.assert(
      fc.property(text, text, text, (userAgent, user, name) => {
        const event: AuditEvent = {
          ...download,
          user,
          user_agent: userAgent,
          target: { type: "package", name },
        };
        const line = toCef(event, product);
        expect(line.indexOf("\n")).toBe(line.length - 1);
        const { extension } = parseCef(line);
        if (userAgent !== "") expect(extension.get("requestClientApplication")).toBe(afterCef(userAgent));
        if (user !== "") expect(extension.get("suser")).toBe(afterCef(user));
        if (name !== "") expect(extension.get("cs4")).toBe(afterCef(name));
      }),
    );
  });
});

describe("CEF pieces", () => {
  it("maps severities onto ArcSight's bands: Low 3, Medium 6, High 8", () => {
    expect([cefSeverity("info"), cefSeverity("warning"), cefSeverity("error")]).toEqual([3, 6, 8]);
  });

  it("escapes what each part requires", () => {
    expect(cefHeaderField("a|b\\c=d")).toBe("a\\|b\\\\c=d");
    expect(cefExtensionValue("a|b\\c=d")).toBe("a|b\\\\c\\=d");
    expect(cefExtensionValue("1\r\n2\n3\r4\u20285\u0000")).toBe("1\\r\\n2\\n3\\r4\\n5\ufffd");
  });

  it("uses only CEF dictionary keys, custom fields always with their label", () => {
    const dictionary = [
      "rt",
      "externalId",
      "cat",
      "act",
      "outcome",
      "suser",
      "src",
      "requestClientApplication",
      "reason",
      "msg",
      "dvchost",
      "cn1",
      "flexString1",
      "flexString2",
      "c6a2",
      "cs1",
      "cs2",
      "cs3",
      "cs4",
      "cs5",
      "cs6",
    ];
    for (const event of exampleEvents) {
      const keys = cefExtension(event, product).map(([key]) => key);
      for (const key of keys) {
        const base = key.replace(/Label$/, "");
        expect(dictionary).toContain(base);
        if (key !== base) expect(keys).toContain(base);
        if (/^(cs|cn|c6a|flexString)\d$/.test(key)) expect(keys).toContain(`${key}Label`);
      }
    }
  });
});
