// A TCP proxy between a client and loyaltyd that loses answers: on its
// first `drops` connections, when the server's first response HEADERS frame
// arrives (the server has decided, synced and answered by then), it cuts the
// connection instead of passing the answer on. The client sees a call that
// failed in flight, exactly like an answer lost on the network.
//
// With a certificate it speaks TLS on both sides (it presents the server's
// own certificate, made for 127.0.0.1), so it can read the HTTP/2 frames.
import { connect as netConnect, createServer as netCreateServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect, createServer as tlsCreateServer } from "node:tls";

import type { Certificate } from "./loyaltyd.js";

const FRAME_HEADER_BYTES = 9;
const FRAME_TYPE_HEADERS = 0x1;

export class AnswerDroppingProxy {
  /** Answers cut so far. */
  droppedAnswers = 0;
  /** Connections accepted so far. */
  connections = 0;
  address = "";
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private dropsLeft: number,
  ) {}

  /** Listens on a free loopback port, forwarding to `upstream` ("127.0.0.1:PORT"). */
  static async start(
    upstream: string,
    certificate: Certificate | undefined,
    drops: number,
  ): Promise<AnswerDroppingProxy> {
    const [host, port] = upstream.split(":") as [string, string];
    let proxy: AnswerDroppingProxy | undefined;
    const onClient = (client: Socket): void => proxy!.relay(client, host, Number(port), certificate);
    const server =
      certificate === undefined
        ? netCreateServer(onClient)
        : tlsCreateServer({ cert: certificate.certPem, key: certificate.keyPem, ALPNProtocols: ["h2"] }, onClient);
    proxy = new AnswerDroppingProxy(server, drops);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const bound = server.address();
    if (bound === null || typeof bound === "string") throw new Error("the proxy has no TCP address");
    proxy.address = `127.0.0.1:${bound.port}`;
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, host: string, port: number, certificate: Certificate | undefined): void {
    this.connections++;
    const dropAnswer = this.dropsLeft > 0;
    if (dropAnswer) this.dropsLeft--;
    const upstream =
      certificate === undefined
        ? netConnect(port, host)
        : tlsConnect({ host, port, ca: certificate.certPem, ALPNProtocols: ["h2"] });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());

    // Server to client frame by frame, so the cut falls before the answer.
    let pending = Buffer.alloc(0);
    upstream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= FRAME_HEADER_BYTES) {
        const frameBytes = FRAME_HEADER_BYTES + pending.readUIntBE(0, 3);
        if (pending.length < frameBytes) break;
        const type = pending[3];
        const streamId = pending.readUInt32BE(5) & 0x7fffffff;
        if (dropAnswer && type === FRAME_TYPE_HEADERS && streamId !== 0) {
          this.droppedAnswers++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(pending.subarray(0, frameBytes));
        pending = pending.subarray(frameBytes);
      }
    });
  }
}
