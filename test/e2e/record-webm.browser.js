// Browser code for test/e2e/web-stream.test.ts: records `ms` of a canvas
// animation (a square crossing a changing colour, a frame counter) with
// MediaRecorder as VP8 in WebM, a codec Debian's chromium has, and returns
// the file as base64. Animation rather than noise: Chromium plays once it
// has about two seconds of a clip, and a small clip needs few bytes for it.
globalThis.recordWebm = async (ms) => {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const g = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(25), {
    mimeType: "video/webm;codecs=vp8",
    videoBitsPerSecond: 2_000_000,
  });
  const parts = [];
  recorder.ondataavailable = (e) => parts.push(e.data);
  const stopped = new Promise((resolve) => {
    recorder.onstop = resolve;
  });
  let n = 0;
  const paint = () => {
    n++;
    g.fillStyle = `hsl(${(n * 7) % 360}, 60%, 50%)`;
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.fillStyle = "#fff";
    g.fillRect((n * 5) % canvas.width, 100, 40, 40);
    g.font = "40px sans-serif";
    g.fillText(String(n), 20, 60);
  };
  paint();
  recorder.start();
  const timer = setInterval(paint, 40);
  await new Promise((resolve) => setTimeout(resolve, ms));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
};
