// A small 2048: arrow keys slide the tiles; two equal tiles that meet merge into their sum.
const size = 4;
let cells = new Array(size * size).fill(0);
let score = 0;

function addTile() {
  const empty = cells.map((value, index) => (value === 0 ? index : -1)).filter((index) => index >= 0);
  if (empty.length === 0) return;
  cells[empty[Math.floor(Math.random() * empty.length)]] = Math.random() < 0.9 ? 2 : 4;
}

function slide(line) {
  const values = line.filter((value) => value !== 0);
  for (let i = 0; i < values.length - 1; i++) {
    if (values[i] === values[i + 1]) {
      values[i] *= 2;
      score += values[i];
      values.splice(i + 1, 1);
    }
  }
  while (values.length < size) values.push(0);
  return values;
}

function move(direction) {
  const before = cells.join(',');
  for (let k = 0; k < size; k++) {
    const indexes = [];
    for (let j = 0; j < size; j++) {
      const row = direction === 'up' || direction === 'down' ? j : k;
      const column = direction === 'up' || direction === 'down' ? k : j;
      indexes.push(row * size + column);
    }
    if (direction === 'right' || direction === 'down') indexes.reverse();
    const moved = slide(indexes.map((index) => cells[index]));
    indexes.forEach((index, position) => {
      cells[index] = moved[position];
    });
  }
  if (cells.join(',') !== before) addTile();
  draw();
}

function draw() {
  const board = document.getElementById('board');
  board.innerHTML = '';
  for (const value of cells) {
    const tile = document.createElement('div');
    tile.className = `tile${value === 0 ? '' : value <= 4 ? ` v${value}` : ' big'}`;
    tile.textContent = value === 0 ? '' : String(value);
    board.appendChild(tile);
  }
  document.getElementById('score').textContent = `Score: ${score}`;
}

const keys = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };
document.addEventListener('keydown', (event) => {
  if (keys[event.key]) {
    event.preventDefault();
    move(keys[event.key]);
  }
});

addTile();
addTile();
draw();
