// Stub for bittorrent-tracker's server, which never opens WebRTC (see package.json).
class Unavailable {
  constructor() {
    throw new Error("WebRTC is not available in shoal's benchmark environment");
  }
}
exports.RTCPeerConnection = Unavailable;
exports.RTCSessionDescription = Unavailable;
exports.RTCIceCandidate = Unavailable;
