import type { ProductService } from './product/product.service.js';
import type { StockService } from './stock/stock.service.js';

export interface ProductsServices {
  products: ProductService;
  stock: StockService;
}
