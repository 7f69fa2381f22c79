'use strict';
const { Transform } = require('node:stream');

/** Decodes `aws-chunked` framing: `<hex size>[;ext]\r\n<bytes>\r\n` ... `0\r\n<trailers>\r\n\r\n`. */
class AwsChunkedDecoder extends Transform {
  constructor() {
    super();
    this.buffer = Buffer.alloc(0);
    this.state = 'size'; // size line -> data -> crlf -> size ... -> done (trailers, ignored)
    this.remaining = 0;
  }

  _transform(chunk, _encoding, callback) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      for (;;) {
        if (this.state === 'size') {
          const eol = this.buffer.indexOf('\r\n');
          if (eol < 0) break;
          const line = this.buffer.subarray(0, eol).toString('latin1');
          const size = parseInt(line.split(';')[0].trim(), 16);
          if (Number.isNaN(size)) throw new Error(`invalid aws-chunked size line "${line.slice(0, 40)}"`);
          this.buffer = this.buffer.subarray(eol + 2);
          this.remaining = size;
          this.state = size === 0 ? 'done' : 'data';
        } else if (this.state === 'data') {
          if (this.buffer.length === 0) break;
          const take = Math.min(this.remaining, this.buffer.length);
          this.push(this.buffer.subarray(0, take));
          this.buffer = this.buffer.subarray(take);
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'crlf';
        } else if (this.state === 'crlf') {
          if (this.buffer.length < 2) break;
          this.buffer = this.buffer.subarray(2);
          this.state = 'size';
        } else {
          this.buffer = Buffer.alloc(0);
          break;
        }
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  _flush(callback) {
    callback(this.state === 'done' ? undefined : new Error('aws-chunked body ended before its last chunk'));
  }
}

module.exports = { AwsChunkedDecoder };
