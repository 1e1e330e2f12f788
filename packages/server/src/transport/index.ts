export { formatAddress, type ListenOptions, parseAddress } from './address.js';
export { TCP_CAPABILITIES, TcpServerTransport } from './tcp.js';
export { UDP_CAPABILITIES, UdpServerTransport } from './udp.js';
export { WEBSOCKET_CAPABILITIES, WebSocketServerTransport } from './websocket.js';
