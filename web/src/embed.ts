import { chatPanel } from './chat';
import { mount } from './ui';

// Chat only, read-only, transparent: made for an OBS browser source over the video.
const roomId = decodeURIComponent(location.pathname.split('/')[3] ?? '');
mount(chatPanel(roomId, { canSend: false }).el);
