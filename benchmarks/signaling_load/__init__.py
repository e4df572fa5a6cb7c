"""Load benchmark for the NIMeet signaling server (socket.io relay path).

N socket.io clients (websocket transport) in rooms of 4, each sending a 3 KB offer to a room peer at a fixed
total rate; prints delivered msg/s, p50/p99 relay latency, server CPU µs per relayed message and RSS per
connection. ``--mode idle`` instead opens N connections, measures server RSS per idle connection and holds them
(past a full Engine.IO ping cycle) to check they all stay alive and answer.

The script starts the real server entry point (``python -m signaling_server --port 0``) as a subprocess (the tests'
runner, ``tests/support/server.py``), registers
accounts and creates rooms over REST, then runs the socket.io load from ``--workers`` separate client processes.
Clients are raw Engine.IO v4 / Socket.IO v5 over a plain ``websockets`` connection (python-socketio's
AsyncClient costs far more per connection than the server side does, and would become the bottleneck):

    ws://host:port/socket.io/?EIO=4&transport=websocket
    <- 0{"sid":...,"pingInterval":...}      engine.io OPEN
    -> 40{"token":"..."}                     socket.io CONNECT to "/" with auth
    <- 40{"sid":"<socketId>"}                socket.io CONNECT ok (44{...} = refused)
    <- 2  /  -> 3                            engine.io PING from the server, PONG back
    -> 42<id>["offer",{...}]                 EVENT with ack id
    <- 43<id>[{"ok":true}]                   ACK
    <- 42["receive-offer",{...}]             EVENT (no ack)

Latency: each sdp carries the sender's ``time.time_ns()`` (all processes share the machine's clock) in its
``o=`` line; the receiver subtracts it from its own ``time.time_ns()`` on reading the frame. Only messages sent
inside the measurement window count (connection ramp-up and a warm-up period are excluded). Sending is open-loop
(a fixed schedule, not waiting for acks); the senders' lag behind schedule is reported so you can tell whether the
clients kept up.

Server CPU is the server process's utime+stime (psutil) over the window divided by messages delivered in the window
(so it includes fixed costs such as pings; at low rates the per-message figure is much higher because nothing is
batched). RSS per connection is (server RSS with the connections open - RSS after REST setup, before any socket) / N.
"other processes" is the CPU every other process on the machine used during the window and "steal" the hypervisor's
share: when either is high, rerun.

Several nodes (``--nodes N``, N >= 2): a throwaway PostgreSQL cluster (``tests/support/postgres.py``) and a throwaway
``redis-server`` (``tests/support/redis_server.py``), both on 127.0.0.1, and N server processes with
``NIMEET_REDIS_URL`` set, sharing one data directory, as docs/deploy.md section 10 sets them up (heartbeat and
timeout at their defaults). With ``--peers cross`` (the default) seat k of every room connects to node k mod N and
offers go only to peers on another node, so every relayed offer crosses Redis' pub/sub; ``--peers same`` puts whole
rooms on one node (no relay crosses; what is left is the cost of the room state living in Redis). CPU per relayed
message is then summed over all nodes, and redis-server's CPU (and PostgreSQL's, postmaster and backends) is
reported beside it, with each node's CPU and RSS. ``--database postgresql`` gives one node the same database as the
nodes for a like-for-like baseline (one node defaults to SQLite). REST set-up, ``--py-spy`` and ``--attach`` go to
the first node; ``--gc-trace`` and ``--tracemalloc`` are for one node only. Keep ``--connect-concurrency`` at 25 or
so with several nodes: a node's Redis connection pool (redis-py's default, 100) refuses the 101st operation in
flight, and 200 simultaneous joins fail some with ``internal`` (docs/benchmarks.md, "Two nodes").

File descriptors: the server holds N + ~35 (measured 10,035 with 10,000 connections), each client process one per
connection it owns. The script raises its soft RLIMIT_NOFILE to the hard limit (inherited by the server and the
client processes), so for 10,000 connections the hard limit must be at least ~10,100: ``ulimit -Hn`` >= 10100, e.g.
``ulimit -n 16384`` in the shell that starts it. Loopback has ~28,000 ephemeral ports, enough for 10,000.

Instrumentation (all optional; nothing in signaling_server is changed):
    --gc-trace          run the entry point through runpy with a gc.callbacks hook; reports every collection
                        (generation, pause) inside the window
    --tracemalloc       same wrapper with tracemalloc; per-connection Python allocations by module and site
    --py-spy FILE       py-spy record of the server over the window (raw format by default, for
                        benchmarks/profile_summary.py; --py-spy-native for C frames, --py-spy-nonblocking)
    --attach CMD        any command at window start, {pid}/{duration} substituted (perf record, strace -c)
    --server-root DIR   run another copy of the code, e.g. ``git archive <rev> | tar -x -C DIR``, so results are tied to
                        one revision while the working tree changes; the report prints a hash of signaling_server/

Examples:
    python -m benchmarks.signaling_load --connections 200 --rate 200 --duration 20
    python -m benchmarks.signaling_load --connections 2000 --rate 2000 --duration 30 --json /tmp/r.json
    python -m benchmarks.signaling_load --mode idle --idle-connections 2000 --duration 60
    python -m benchmarks.signaling_load --nodes 2 --connections 1000 --rate 1000 --duration 30 --connect-concurrency 25
    python -m benchmarks.signaling_load --nodes 1 --database postgresql --connections 1000 --rate 1000 --duration 30
    python -m benchmarks.signaling_load --mode idle --idle-connections 10000 --duration 60
    python -m benchmarks.signaling_load --connections 2000 --rate 2000 --gc-trace \
        --server-env NIMEET_GC_FULL_INTERVAL_S=0
    python -m benchmarks.signaling_load --connections 2000 --rate 2000 --py-spy /tmp/prof.txt --py-spy-rate 50
    python benchmarks/profile_summary.py /tmp/prof.txt --main-thread --cpu-us 280

The package: ``clients.py`` (the raw socket.io clients and their worker processes), ``probes.py`` (the server
process and what is measured around it: CPU, RSS, GC, tracemalloc, profilers), ``scenarios.py`` (the relay and
idle runs), ``deployment.py`` (one server, or N nodes with their PostgreSQL and Redis), ``report.py`` (figures and the
printed report), ``__main__.py`` (the command line).
"""
