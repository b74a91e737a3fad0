import { execSync } from "node:child_process";
import path from "node:path";
import type { Request, Response } from "express";

const MEDIA_DIR = "/var/media";

export function transcode(req: Request, res: Response): void {
  const file = req.file!;
  const input = path.join(MEDIA_DIR, file.originalname);
  const output = input.replace(/\.\w+$/, ".720p.mp4");
  execSync("ffmpeg -y -i " + input + " -vf scale=-2:720 " + output, { timeout: 120_000 });
  res.json({ output: path.basename(output) });
}
