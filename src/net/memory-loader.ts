/**
 * The in-memory network (memory-*.ts: TCP-like hosts and pipes, UDP with
 * latency, bandwidth and loss) for tests and simulations, loaded when one
 * asks for it: nothing in shoal's own commands runs on it, and its five
 * modules were part of every process's start, a daemon's included (about
 * 2 ms of CPU; issue 16's start-up target).
 *
 *   const { MemoryNetwork, createMemoryPipe } = await loadMemoryNetwork();
 */
export async function loadMemoryNetwork() {
  const [connection, network, pipe, udp, udpSocket] = await Promise.all([
    import("./memory-connection.ts"),
    import("./memory-network.ts"),
    import("./memory-pipe.ts"),
    import("./memory-udp.ts"),
    import("./memory-udp-socket.ts"),
  ]);
  return {
    MemoryConnection: connection.MemoryConnection,
    MemoryHost: network.MemoryHost,
    MemoryListener: network.MemoryListener,
    MemoryNetwork: network.MemoryNetwork,
    createMemoryPipe: pipe.createMemoryPipe,
    MemoryTransport: pipe.MemoryTransport,
    MemoryUdpHost: udp.MemoryUdpHost,
    MemoryUdpNetwork: udp.MemoryUdpNetwork,
    MemoryUdpSocket: udpSocket.MemoryUdpSocket,
  };
}
