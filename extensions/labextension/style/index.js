import './base.css';
import './sidebar.css';
import './page.css';
import './runs.css';
import './snapshots.css';
import './whatif.css';
import './sharing.css';
