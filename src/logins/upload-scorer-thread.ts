import { parentPort } from 'node:worker_threads';
import type { Contamination } from './login-scoring.js';
import { scoreFile, type TaskAnswer } from './upload-scorer.js';

/** The worker thread of WorkerUploadScorer: scores one file per message, in order. */
const port = parentPort;
if (port === null) throw new Error('upload-scorer-thread runs as a worker thread only');

port.on('message', (task: { id: number; text: string; contamination: Contamination; now: number }) => {
  let answer: TaskAnswer;
  try {
    answer = { id: task.id, result: scoreFile(task.text, task.contamination, task.now) };
  } catch (error) {
    answer = { id: task.id, crash: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(answer);
});
