/**
 * Line output that respects backpressure (a search can print millions of lines) and ends quietly when the reader
 * goes away (`trailscope search ... | head`).
 */
export function createLineWriter(stream: NodeJS.WritableStream = process.stdout) {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') closed = true;
    else throw err;
  });
  return {
    get closed() {
      return closed;
    },
    async line(text: string): Promise<void> {
      if (closed) return;
      if (!stream.write(`${text}\n`)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stream.off('drain', done);
            stream.off('error', done);
            resolve();
          };
          stream.once('drain', done);
          stream.once('error', done);
        });
      }
    },
  };
}

export type LineWriter = ReturnType<typeof createLineWriter>;
