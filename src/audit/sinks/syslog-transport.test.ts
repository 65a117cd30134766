import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hostile } from "../../../test/builders/audit-event-examples.ts";
import {
  attemptSignal,
  exampleRecords,
  testProduct,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";
import { requireComponent } from "../../../test/support/required-component.ts";
import {
  rsyslogAvailable,
  RsyslogReceiver,
  type RsyslogListener,
} from "../../../test/support/rsyslog-receiver.ts";
import { freePort } from "../../../test/support/free-port.ts";
import type { AuditEvent } from "../audit-event.ts";
import { toCef } from "../export/cef-line.ts";
import type { SinkRecord, SinkTransport } from "./sink-transport.ts";

/** An RFC 5424 message: PRI, version, timestamp, host, app, procid, msgid, structured data, msg. */
const RFC5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[[^\]]*\]|-) (.*)$/;

function parse(line: string): {
  pri: number;
  msgId: string;
  data: string;
  msg: string;
  app: string;
  host: string;
} {
  const match = RFC5424.exec(line);
  if (match === null) throw new Error(`not RFC 5424: ${line}`);
  return {
    pri: Number(match[1]),
    host: match[3]!,
    app: match[4]!,
    msgId: match[6]!,
    data: match[7]!,
    msg: match[8]!,
  };
}

/** An event whose strings hold raw line breaks (CR, LF, CRLF, U+2028) in several places. */
const multiline: AuditEvent = {
  ...hostile,
  id: "01KB3V9Q8G7J5YF3Q2M1T6W0Z9",
  seq: 1046,
  details: { ...hostile.details, note: "first line\nsecond line\r\nthird\rfourth\u2028fifth\n\n" },
};
const multilineRecords: SinkRecord[] = [...exampleRecords, { kind: "event", event: multiline }];

const runRsyslog = requireComponent(
  "rsyslog",
  rsyslogAvailable(),
  "apt-get install rsyslog rsyslog-gnutls openssl",
);

describe.runIf(runRsyslog)("syslog transport against rsyslog", () => {
  let rsyslog: RsyslogReceiver;
  const open: SinkTransport[] = [];
  beforeAll(async () => {
    rsyslog = await RsyslogReceiver.start();
  });
  afterAll(async () => {
    await Promise.all(open.map((transport) => transport.close()));
    await rsyslog.stop();
  });

  const transportFor = (listener: RsyslogListener, format: "json" | "cef"): SinkTransport => {
    const url = listener === "tcp" ? rsyslog.tcpUrl : rsyslog.tlsUrl;
    const options = listener === "tls" ? { ca: rsyslog.caFile, facility: "local4" } : { facility: "local4" };
    const transport = testTransport({ type: "syslog", url, format, options });
    open.push(transport);
    return transport;
  };

  it.each(["tcp", "tls"] as const)(
    "delivers JSON messages over %s, line breaks and all, intact",
    async (listener) => {
      const transport = transportFor(listener, "json");
      expect(await transport.deliver(multilineRecords.slice(0, 3), attemptSignal())).toEqual({
        kind: "delivered",
      });
      // The same connection carries the next delivery.
      expect(await transport.deliver(multilineRecords.slice(3), attemptSignal())).toEqual({
        kind: "delivered",
      });

      const lines = await rsyslog.received(listener, multilineRecords.length);
      expect(lines).toHaveLength(multilineRecords.length);
      const messages = lines.map(parse);
      const last = messages.at(-1)!;
      expect(JSON.parse(last.msg)).toEqual(multiline);
      expect(last.msgId).toBe("download_denied");
      expect(last.pri).toBe(20 * 8 + 4);
      expect(last.app).toBe("package-broker");
      expect(last.host).toBe("broker-1");
      expect(last.data).toBe(
        `[audit@32473 id="${multiline.id}" seq="1046" category="package_access" outcome="denied"]`,
      );
      const events = multilineRecords.map((record) => (record.kind === "event" ? record.event : undefined));
      expect(
        messages.map((message, index) =>
          events[index] === undefined ? undefined : (JSON.parse(message.msg) as unknown),
        ),
      ).toEqual(events);
      expect(messages[exampleRecords.length - 1]?.msgId).toBe("checkpoint");
    },
  );

  it("delivers CEF lines over TLS, one message per record", async () => {
    const before = (await rsyslog.received("tls", 0, 0)).length;
    const transport = transportFor("tls", "cef");
    expect(await transport.deliver(multilineRecords, attemptSignal())).toEqual({ kind: "delivered" });
    const lines = (await rsyslog.received("tls", before + multilineRecords.length)).slice(before);
    expect(lines).toHaveLength(multilineRecords.length);
    const cef = parse(lines.at(-1)!).msg;
    expect(cef).toMatch(
      /^CEF:0\|PACKAGE\.broker\|package-broker\|1\.2\.3\|package_access\.download_denied\|/,
    );
    // rsyslog writes the one control character CEF leaves raw (the TAB in `suser`) as #011.
    expect(cef.replace("#011", "\t")).toBe(toCef(multiline, testProduct).slice(0, -1));
  });

  it("refuses a TLS receiver whose certificate it cannot verify (retry)", async () => {
    const transport = testTransport({ type: "syslog", url: rsyslog.tlsUrl });
    open.push(transport);
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toMatchObject({ kind: "retry" });
  });
});

describe("syslog transport connection handling", () => {
  let server: net.Server | undefined;
  const sockets: net.Socket[] = [];
  let transport: SinkTransport | undefined;
  afterEach(async () => {
    await transport?.close();
    for (const socket of sockets) socket.destroy();
    sockets.length = 0;
    const listening = server;
    if (listening !== undefined) {
      await new Promise<void>((resolve) => {
        listening.close(() => {
          resolve();
        });
      });
    }
    server = undefined;
  });

  async function listen(onData: (socket: net.Socket) => void = () => undefined): Promise<string> {
    server = net.createServer((socket) => {
      sockets.push(socket);
      onData(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    return `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  it("keeps one connection across deliveries and reconnects after the receiver drops it", async () => {
    const url = await listen();
    transport = testTransport({ type: "syslog", url });
    await transport.deliver(exampleRecords, attemptSignal());
    await transport.deliver(exampleRecords, attemptSignal());
    expect(sockets).toHaveLength(1);
    sockets[0]?.destroy();
    // Plain syslog cannot tell a write into a connection being closed from a delivery: keep
    // delivering until the transport notices and opens a second connection.
    for (let attempt = 0; attempt < 50 && sockets.length < 2; attempt++) {
      await transport.deliver(exampleRecords, attemptSignal());
      await sleep(10);
    }
    expect(sockets).toHaveLength(2);
  });

  it("frames every message with its length in bytes (RFC 6587 octet counting)", async () => {
    const chunks: Buffer[] = [];
    const url = await listen((socket) => socket.on("data", (chunk: Buffer) => chunks.push(chunk)));
    transport = testTransport({ type: "syslog", url, options: { appName: "pb", hostname: "h" } });
    await transport.deliver(multilineRecords, attemptSignal());
    const expected = multilineRecords.length;
    for (let attempt = 0; attempt < 100 && frames(Buffer.concat(chunks)).length < expected; attempt++)
      await sleep(10);
    const messages = frames(Buffer.concat(chunks));
    expect(messages).toHaveLength(expected);
    expect(messages.every((message) => message.startsWith("<"))).toBe(true);
  });

  it("retries when the connection is refused", async () => {
    transport = testTransport({ type: "syslog", url: `tcp://127.0.0.1:${await freePort()}` });
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toMatchObject({
      kind: "retry",
      error: expect.stringContaining("ECONNREFUSED") as unknown,
    });
  });

  it("retries when a TLS receiver never completes the handshake (the signal aborts)", async () => {
    const url = (await listen()).replace("tcp:", "tls:");
    transport = testTransport({ type: "syslog", url });
    const result = await transport.deliver(exampleRecords, attemptSignal(100));
    expect(result).toMatchObject({ kind: "retry", error: expect.stringContaining("aborted") as unknown });
  });
});

/** Splits an octet-counted stream into its messages. */
function frames(stream: Buffer): string[] {
  const messages: string[] = [];
  let offset = 0;
  while (offset < stream.length) {
    const space = stream.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(stream.subarray(offset, space).toString("ascii"));
    if (space + 1 + length > stream.length) break;
    messages.push(stream.subarray(space + 1, space + 1 + length).toString("utf8"));
    offset = space + 1 + length;
  }
  return messages;
}
