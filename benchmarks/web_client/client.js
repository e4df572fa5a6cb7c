// A minimal NIMeet web client, written from the wire contract (docs/protocol.md, version 1) alone, for the
// benchmarks: it joins one room, sends the camera and the microphone, and shows every remote participant's video in
// a playing <video>, as a web client of the call does. window.nimeetStats() gives what the benchmark reads.
//
// Query: ?token=<jwt>&room=<roomId>[&server=<base URL>][&width=640&height=360&fps=30][&selfView=1]
// The page must be served from the server's own origin (the contract refuses other browser origins unless the server
// lists them in NIMEET_CORS_ORIGINS): benchmarks/web_client/driver.mjs serves it there.
"use strict";

const params = new URLSearchParams(location.search);
const SERVER = (params.get("server") || location.origin).replace(/\/+$/, "");
const TOKEN = params.get("token") || "";
const ROOM = params.get("room") || "";
const WIDTH = Number(params.get("width") || 640);
const HEIGHT = Number(params.get("height") || 360);
const FPS = Number(params.get("fps") || 30);
const SELF_VIEW = params.get("selfView") !== "0";
// The floor of what we send, in kbit/s (0: Chromium's own estimate alone). See withBitrateFloor.
const MIN_KBPS = Number(params.get("minKbps") ?? 600);

const state = { phase: "starting", error: null, selfId: null, joinedAt: null, log: [] };
window.nimeetState = state;

function log(...args) {
  const line = args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
  state.log.push(line);
  if (state.log.length > 200) state.log.shift();
  console.log(line);
}

function fail(message) {
  state.phase = "failed";
  state.error = String(message);
  document.getElementById("status").textContent = "failed: " + message;
  console.error(message);
}

function setPhase(phase) {
  state.phase = phase;
  document.getElementById("status").textContent = phase;
}

async function api(path) {
  const res = await fetch(SERVER + path, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const data = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${data.error && data.error.code}`);
  return data;
}

// remote socketId -> {pc, polite, makingOffer, ignoreOffer, queued, tracksAdded, username, tile, video, painted}
const peers = new Map();
const usernames = new Map(); // socketId -> username, from join-room's ack and user-joined
let socket = null;
let localStream = null;
let rtcConfig = { iceServers: [] };

function addTile(id, label, stream, isSelf) {
  const tile = document.createElement("div");
  tile.className = isSelf ? "tile self" : "tile";
  const video = document.createElement("video");
  video.autoplay = true;
  video.playsInline = true;
  video.muted = isSelf; // remote audio plays through the element, as in a real client
  video.srcObject = stream;
  const name = document.createElement("span");
  name.textContent = label;
  tile.append(video, name);
  document.getElementById("tiles").append(tile);
  video.play().catch((err) => log("video.play", id, String(err)));
  return { tile, video };
}

// Frames the compositor actually presented for a <video>: what the user saw, counted once per painted frame.
function countPainted(p) {
  const step = (_now, meta) => {
    p.painted = meta.presentedFrames;
    p.paintedWidth = meta.width;
    p.paintedHeight = meta.height;
    if (!p.closed) p.video.requestVideoFrameCallback(step);
  };
  p.video.requestVideoFrameCallback(step);
}

function report(event) {
  return (ack) => {
    if (!ack || !ack.ok) log(event, "refused", ack && ack.error);
  };
}

function peer(id) {
  // Per-peer state from the FIRST message from (or to) that socket (contract section 7).
  let p = peers.get(id);
  if (p) return p;
  const pc = new RTCPeerConnection(rtcConfig);
  // Socket ids compare as plain strings; the lower one is polite.
  p = { id, pc, polite: socket.id < id, makingOffer: false, ignoreOffer: false, queued: [], tracksAdded: false };
  p.closed = false;
  p.painted = 0;
  peers.set(id, p);
  pc.onicecandidate = ({ candidate }) =>
    socket.emit("ice-candidate", { target: id, candidate: candidate ? candidate.toJSON() : null }, report("ice"));
  pc.onnegotiationneeded = async () => {
    try {
      p.makingOffer = true;
      await pc.setLocalDescription();
      const { type, sdp } = pc.localDescription;
      socket.emit("offer", { target: id, description: { type, sdp } }, report("offer"));
    } catch (err) {
      log("offer failed", id, String(err));
    } finally {
      p.makingOffer = false;
    }
  };
  pc.onconnectionstatechange = () => log("peer", id, pc.connectionState);
  // One stream per peer that collects its tracks, whatever stream ids the sender put in its SDP.
  p.stream = new MediaStream();
  pc.ontrack = ({ track }) => {
    p.stream.addTrack(track);
    if (!p.video) {
      Object.assign(p, addTile(id, usernames.get(id) || id, p.stream, false));
      countPainted(p);
    }
  };
  return p;
}

function dropPeer(id) {
  const p = peers.get(id);
  if (!p) return;
  p.closed = true;
  p.pc.close();
  if (p.tile) p.tile.remove();
  peers.delete(id);
}

function addTracks(p) {
  if (p.tracksAdded) return;
  p.tracksAdded = true;
  for (const track of localStream.getTracks()) p.pc.addTrack(track, localStream);
}

async function addCandidate(p, candidate) {
  try {
    await p.pc.addIceCandidate(candidate ?? undefined); // null = end of candidates
  } catch (err) {
    if (!p.ignoreOffer) log("addIceCandidate", p.id, String(err));
  }
}

// Chromium's send-side bandwidth estimate against an aiortc peer (REMB only) stays near 100 kbit/s on a loaded
// machine, and Chromium then sends 320x180 at 15-20 fps: not the 640x360 at 30 fps the benchmark compares. Its
// codec parameters x-google-min-bitrate / x-google-start-bitrate, set on the remote description (as web clients
// such as Jitsi Meet do), give its encoder a floor instead, whatever the estimate.
function withBitrateFloor(sdp) {
  if (!MIN_KBPS) return sdp;
  const extra = `x-google-min-bitrate=${MIN_KBPS};x-google-start-bitrate=${Math.max(MIN_KBPS, 1000)}`;
  const lines = sdp.split("\r\n");
  const vp8 = new Set();
  for (const line of lines) {
    const m = /^a=rtpmap:(\d+) VP8\/90000/i.exec(line);
    if (m) vp8.add(m[1]);
  }
  const withFmtp = new Set();
  const out = lines.map((line) => {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (m && vp8.has(m[1])) {
      withFmtp.add(m[1]);
      return `${line};${extra}`;
    }
    return line;
  });
  // A VP8 payload type without an fmtp line gets one, right after its rtpmap.
  return out
    .flatMap((line) => {
      const m = /^a=rtpmap:(\d+) VP8\/90000/i.exec(line);
      return m && !withFmtp.has(m[1]) ? [line, `a=fmtp:${m[1]} ${extra}`] : [line];
    })
    .join("\r\n");
}

async function onDescription(from, description) {
  const p = peer(from);
  const collision = description.type === "offer" && (p.makingOffer || p.pc.signalingState !== "stable");
  p.ignoreOffer = !p.polite && collision; // impolite: ignore theirs, ours wins
  if (p.ignoreOffer) return;
  const sdp = withBitrateFloor(description.sdp);
  await p.pc.setRemoteDescription({ type: description.type, sdp }); // polite: rolls back its own offer implicitly
  for (const c of p.queued.splice(0)) await addCandidate(p, c);
  if (description.type === "offer") {
    addTracks(p); // after setRemoteDescription, so that the offered transceivers are reused
    await p.pc.setLocalDescription();
    const { type, sdp } = p.pc.localDescription;
    socket.emit("answer", { target: from, description: { type, sdp } }, report("answer"));
  }
}

function connect() {
  const base = new URL(SERVER);
  const path = base.pathname.replace(/\/+$/, "") + "/socket.io";
  socket = io(base.origin, { path, auth: (cb) => cb({ token: TOKEN }), transports: ["websocket"] });

  // One event at a time, in arrival order: a candidate must not overtake the offer it follows.
  let chain = Promise.resolve();
  const inOrder = (fn) => (data) => {
    chain = chain.then(() => fn(data)).catch((err) => log("handler failed", String(err)));
  };
  socket.on("receive-offer", inOrder(({ from, description }) => onDescription(from, description)));
  socket.on("receive-answer", inOrder(({ from, description }) => onDescription(from, description)));
  socket.on(
    "receive-ice-candidate",
    inOrder(async ({ from, candidate }) => {
      const p = peer(from);
      if (!p.pc.remoteDescription) p.queued.push(candidate);
      else await addCandidate(p, candidate);
    }),
  );
  socket.on(
    "user-joined",
    inOrder(async (participant) => {
      usernames.set(participant.socketId, participant.username);
      log(participant.username, "joined; waiting for its offer");
    }),
  );
  socket.on(
    "user-left",
    inOrder(async ({ socketId }) => dropPeer(socketId)),
  );
  socket.on("media-toggled", ({ socketId, mediaType, enabled }) => log("media-toggled", socketId, mediaType, enabled));
  socket.on("disconnect", (reason) => log("disconnected", reason));

  socket.on(
    "connect",
    inOrder(async () => {
      // Also after a reconnection: a new socket id in no room, so a newcomer again.
      for (const id of [...peers.keys()]) dropPeer(id);
      const mediaState = { camera: true, microphone: true, screen: false };
      const ack = await socket.timeout(10000).emitWithAck("join-room", { roomId: ROOM, mediaState });
      if (!ack.ok) return fail(`join-room: ${ack.error.code}: ${ack.error.message}`);
      state.selfId = ack.self.socketId;
      state.joinedAt = Date.now();
      setPhase("joined");
      for (const other of ack.participants) {
        usernames.set(other.socketId, other.username);
        addTracks(peer(other.socketId)); // the newcomer offers (negotiationneeded)
      }
    }),
  );
  socket.on("connect_error", (err) => {
    log("connect_error", err.message);
    if (err.message === "unauthorized") fail("the server refused the token");
  });
}

async function start() {
  if (!TOKEN || !ROOM) return fail("token and room are required in the query");
  // Chromium's fake camera (--use-fake-device-for-media-stream) produces exactly what the constraints ask.
  localStream = await navigator.mediaDevices.getUserMedia({
    video: { width: { exact: WIDTH }, height: { exact: HEIGHT }, frameRate: { exact: FPS } },
    audio: true,
  });
  if (SELF_VIEW) addTile("self", "you", localStream, true);
  // An empty list stays empty: never a public STUN server (contract, GET /api/ice-servers).
  rtcConfig = { iceServers: (await api("/api/ice-servers")).iceServers };
  setPhase("connecting");
  connect();
}

// The selected candidate pair's addresses ("127.0.0.1:port -> 127.0.0.1:port"): where the media goes.
function route(stats) {
  const transport = pick(stats, "transport")[0];
  const pair = transport && stats.get(transport.selectedCandidatePairId);
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return `${local.address}:${local.port} -> ${remote.address}:${remote.port}`;
}

function pick(stats, type, kind) {
  const out = [];
  stats.forEach((s) => {
    if (s.type === type && (kind === undefined || s.kind === kind)) out.push(s);
  });
  return out;
}

// What the benchmark reads: per remote participant the video it decoded and painted, and what we send.
window.nimeetStats = async function nimeetStats() {
  const remotes = [];
  const sent = [];
  for (const p of peers.values()) {
    const stats = await p.pc.getStats();
    const inbound = pick(stats, "inbound-rtp", "video")[0];
    const outbound = pick(stats, "outbound-rtp", "video")[0];
    const audioIn = pick(stats, "inbound-rtp", "audio")[0];
    remotes.push({
      route: route(stats),
      socketId: p.id,
      username: usernames.get(p.id) || null,
      connectionState: p.pc.connectionState,
      framesDecoded: inbound ? inbound.framesDecoded ?? 0 : 0,
      framesReceived: inbound ? inbound.framesReceived ?? 0 : 0,
      framesDropped: inbound ? inbound.framesDropped ?? 0 : 0,
      fps: inbound ? inbound.framesPerSecond ?? null : null,
      width: inbound ? inbound.frameWidth ?? null : null,
      height: inbound ? inbound.frameHeight ?? null : null,
      codec: inbound && inbound.codecId ? (stats.get(inbound.codecId) || {}).mimeType || null : null,
      bytesReceived: inbound ? inbound.bytesReceived ?? 0 : 0,
      audioSamplesReceived: audioIn ? audioIn.totalSamplesReceived ?? 0 : 0,
      paintedFrames: p.painted,
      playing: !!p.video && !p.video.paused && p.video.readyState >= 2,
    });
    if (outbound) {
      sent.push({
        socketId: p.id,
        frames: outbound.framesSent ?? 0,
        framesEncoded: outbound.framesEncoded ?? 0,
        fps: outbound.framesPerSecond ?? null,
        width: outbound.frameWidth ?? null,
        height: outbound.frameHeight ?? null,
        bytesSent: outbound.bytesSent ?? 0,
        targetBitrate: outbound.targetBitrate ?? null,
        qualityLimitationReason: outbound.qualityLimitationReason ?? null,
        encoder: outbound.encoderImplementation ?? null,
      });
    }
  }
  const track = localStream ? localStream.getVideoTracks()[0] : null;
  const settings = track ? track.getSettings() : {};
  const fpsValues = sent.map((s) => s.fps).filter((v) => v !== null);
  return {
    t: Date.now() / 1000,
    phase: state.phase,
    error: state.error,
    selfId: state.selfId,
    camera: { width: settings.width ?? null, height: settings.height ?? null, fps: settings.frameRate ?? null },
    // Our sending, over all peers: the fewest frames and the lowest rate (one peer in a two-person call).
    sent: {
      frames: sent.length ? Math.min(...sent.map((s) => s.frames)) : 0,
      fps: fpsValues.length ? Math.min(...fpsValues) : null,
      width: sent.length ? sent[0].width : null,
      height: sent.length ? sent[0].height : null,
      peers: sent,
    },
    remotes,
  };
};

start().catch((err) => fail(err && err.message ? err.message : String(err)));
