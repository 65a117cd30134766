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
import { auditCategories, type AuditEvent } from "../audit-event.ts";
import { cefExtension, cefExtensionValue, cefHeaderField, cefSeverity, toCef } from "./cef-line.ts";
import { packageBrokerProduct, type ProductInfo } from "./product-info.ts";
import { storedAddress } from "./stored-address.ts";

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

/**
 * The straightforward implementation the optimised one replaced (every value through three
 * replace passes, the extension as an array of pairs mapped and joined, the header joined from an
 * array): the tests below hold the fast paths to it byte for byte.
 */
const reference = {
  escapeBreaks(text: string): string {
    return (
      text
        .replace(/\r\n?|[\n\u0085\u2028\u2029]/g, (c) =>
          c === "\r" ? "\\r" : c === "\r\n" ? "\\r\\n" : "\\n",
        )
        // eslint-disable-next-line no-control-regex -- the characters CEF cannot carry
        .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g, "\ufffd")
    );
  },
  headerField(text: string): string {
    return reference.escapeBreaks(text.replace(/[\\|]/g, (c) => `\\${c}`));
  },
  extensionValue(text: string): string {
    return reference.escapeBreaks(text.replace(/[\\=]/g, (c) => `\\${c}`));
  },
  jsonLine(value: object): string {
    const json = JSON.stringify(value);
    return `${json.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
  },
  extension(event: AuditEvent, product: ProductInfo): [string, string][] {
    const pairs: [string, string][] = [];
    const add = (key: string, value: string | number | null | undefined): void => {
      if (value !== null && value !== undefined && value !== "") pairs.push([key, String(value)]);
    };
    const labelled = (key: string, label: string, value: string | null | undefined): void => {
      if (value === null || value === undefined || value === "") return;
      add(`${key}Label`, label);
      add(key, value);
    };
    const address = storedAddress(event.ip_address);
    const target = event.target;
    const reason = event.details.reason;
    add("rt", Date.parse(event.timestamp));
    add("externalId", event.id);
    labelled("cn1", "seq", String(event.seq));
    add("cat", event.event);
    add("act", event.action);
    add("outcome", event.outcome === "success" ? "success" : "failure");
    labelled("flexString1", "auditOutcome", event.outcome);
    add("suser", event.user);
    labelled("flexString2", "actor", `${event.actor.type}/${event.actor.auth_method}`);
    if (address?.kind === "ipv4") add("src", address.value);
    if (address?.kind === "ipv6") labelled("c6a2", "sourceIPv6Address", address.value);
    if (address !== null && address.kind !== "ipv4" && address.kind !== "ipv6") {
      labelled("cs6", "clientAddress", address.value);
    }
    add("requestClientApplication", event.user_agent);
    labelled("cs1", "requestId", event.request_id);
    labelled("cs2", "targetType", target?.type);
    labelled("cs3", "targetId", target?.id);
    labelled("cs4", "targetName", target?.name);
    labelled("cs5", "targetVersion", target?.version);
    if (typeof reason === "string") add("reason", reason);
    if (Object.keys(event.details).length > 0) add("msg", reference.jsonLine(event.details).slice(0, -1));
    add("dvchost", product.host);
    return pairs;
  },
  toCef(event: AuditEvent, product: ProductInfo): string {
    const header = [
      "CEF:0",
      reference.headerField(product.vendor),
      reference.headerField(product.product),
      reference.headerField(product.version),
      reference.headerField(`${event.event}.${event.action}`),
      reference.headerField(`${event.event} ${event.action.replaceAll("_", " ")}`),
      String(cefSeverity(event.severity)),
    ].join("|");
    const extension = reference
      .extension(event, product)
      .map(([key, value]) => `${key}=${reference.extensionValue(value)}`)
      .join(" ");
    return `${header}|${extension}\n`;
  },
};

/** Units that exercise every escape and its neighbours: CEF specials, each line break, controls. */
const UNITS = [
  ...Array.from(
    "\\|= a_n\t\r\n\u0000\u0008\u000b\u000c\u000e\u001f\u007f\u0084\u0085\u0086\u009f\u00a0é…\u2027\u2028\u2029",
  ),
  "🎉",
  "\ud800",
];
const tricky = fc.oneof(fc.string({ unit: fc.constantFrom(...UNITS) }), fc.string({ unit: "binary" }));
const optional = fc.option(tricky);

/** Stored addresses of every kind CEF maps differently, and junk. */
const address = fc.oneof(
  fc.constant(null),
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `${ip.replace(/\.\d+$/, ".0")}/24`),
  fc.constantFrom("2001:db8:1::/48", "hmac:0123456789abcdef0123456789abcdef", ""),
  tricky,
);

const eventArbitrary: fc.Arbitrary<AuditEvent> = fc.record({
  schema_version: fc.constant(1),
  id: tricky,
  seq: fc.integer(),
  timestamp: fc.oneof(
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    tricky,
  ),
  event: fc.constantFrom(...auditCategories),
  action: fc.oneof(fc.constantFrom("download", "token_revoked", "setting_changed"), tricky),
  severity: fc.constantFrom("info", "warning", "error"),
  outcome: fc.constantFrom("success", "failure", "denied"),
  user: tricky,
  actor: fc.record({
    type: fc.constantFrom("token", "user", "system", "anonymous", "console"),
    id: tricky,
    auth_method: fc.constantFrom("basic", "bearer", "session", "cli", "none"),
  }),
  ip_address: address,
  user_agent: optional,
  request_id: optional,
  target: fc.option(
    fc.record({ type: tricky, id: tricky, name: tricky, version: tricky }, { requiredKeys: ["type"] }),
  ),
  details: fc.oneof(
    fc.record({ reason: fc.oneof(tricky, fc.integer()), code: tricky, note: tricky }, { requiredKeys: [] }),
    fc.dictionary(tricky, fc.jsonValue({ stringUnit: fc.constantFrom(...UNITS) })),
  ),
});

describe("the fast paths against the straightforward reference", () => {
  it("escape any header field and extension value alike (property)", () => {
    fc.assert(
      fc.property(tricky, (text) => {
        expect(cefHeaderField(text)).toBe(reference.headerField(text));
        expect(cefExtensionValue(text)).toBe(reference.extensionValue(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("escape each character of the first 0x3000 code points alike", () => {
    for (let code = 0; code < 0x3000; code++) {
      const text = `a${String.fromCharCode(code)}\r\nb`;
      expect(cefHeaderField(text)).toBe(reference.headerField(text));
      expect(cefExtensionValue(text)).toBe(reference.extensionValue(text));
      expect(cefExtensionValue(String.fromCharCode(code))).toBe(
        reference.extensionValue(String.fromCharCode(code)),
      );
    }
  });

  it("write the same lines and pairs for the examples and any event (property)", () => {
    const products = [
      product,
      packageBrokerProduct("1.4.2"),
      { vendor: "A|B\\C", product: "x\r\ny", version: "1=2" },
    ];
    for (const event of exampleEvents) {
      for (const info of products) {
        expect(toCef(event, info)).toBe(reference.toCef(event, info));
        expect(cefExtension(event, info)).toEqual(reference.extension(event, info));
      }
    }
    fc.assert(
      fc.property(eventArbitrary, fc.constantFrom(...products), (event, info) => {
        expect(toCef(event, info)).toBe(reference.toCef(event, info));
        expect(cefExtension(event, info)).toEqual(reference.extension(event, info));
      }),
      { numRuns: 1000 },
    );
  });
});
