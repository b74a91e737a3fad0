import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Request, Response } from "express";

const MEDIA_DIR = "/var/media";

export function transcode(req: Request, res: Response): void {
  const input = req.file!.path;
  const output = path.join(MEDIA_DIR, `${randomUUID()}.720p.mp4`);
  const ffmpeg = spawn("ffmpeg", ["-y", "-i", input, "-vf", "scale=-2:720", output]);
  ffmpeg.on("close", (code) => {
    if (code !== 0) return res.status(500).json({ error: "transcode failed" });
    res.json({ output: path.basename(output) });
  });
}
