/**
 * Maximum MQTT packet size. Aedes has no such option, so we check the remaining length that
 * mqtt-packet's parser reads from each fixed header (MQTT 3.1.1 §2.2.3) and close the
 * connection before the body is buffered. This reaches into the parser instance Aedes creates
 * per client (`client._parser`); tests/integration/broker-limits.test.ts fails if a new Aedes
 * or mqtt-packet version moves it.
 */
import type { Client } from 'aedes';

interface ParserInternals {
  packet: { length: number };
  _parseLength: () => boolean;
}

export function guardPacketSize(
  client: Client,
  maxBytes: number,
  onExceeded: (length: number) => void,
): boolean {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser._parseLength !== 'function') return false;
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const ok = parseLength();
    if (ok && parser.packet.length > maxBytes) {
      onExceeded(parser.packet.length);
      return false; // stop parsing this buffer; the connection is being destroyed
    }
    return ok;
  };
  return true;
}
